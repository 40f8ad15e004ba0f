public import Crypto

/// Checks a sequence of stored entries against their hash chain.
///
/// Pure logic, so every store verifies the same way: feed entries in sequence order and the
/// recorded chain head, read the first break.
public struct AuditChain: Sendable {
    /// The last sequence number and hash recorded when the latest entry was appended.
    public struct Head: Sendable, Equatable {
        public var sequence: Int64
        public var hash: String
        public init(sequence: Int64, hash: String) {
            self.sequence = sequence
            self.hash = hash
        }
    }

    /// Checks the chain, then each signed checkpoint against it, those stored in the database and
    /// those `published` outside it: a checkpoint must carry a valid signature and the hash the
    /// chain has at its entry; an entry a checkpoint covers that is gone means the log was cut;
    /// and the newest published checkpoint must be in the database too.
    public static func verify(
        _ entries: [AuditEntry],
        head: Head?,
        checkpoints: [AuditCheckpoint],
        published: [AuditCheckpoint] = [],
        publicKey: Curve25519.Signing.PublicKey
    ) throws -> AuditVerification {
        let chain = try verify(entries, head: head)
        guard chain.isIntact else { return chain }
        let hashes = Dictionary(uniqueKeysWithValues: entries.map { ($0.sequence, $0.hash) })
        let last = entries.last?.sequence ?? 0
        for checkpoint in (checkpoints + published).sorted(by: { $0.sequence < $1.sequence }) {
            guard checkpoint.isSigned(by: publicKey) else { return .forgedCheckpoint(sequence: checkpoint.sequence) }
            guard let hash = hashes[checkpoint.sequence] else { return .cutOff(lastPresent: last, expected: checkpoint.sequence) }
            guard hash == checkpoint.hash else { return .rewritten(sequence: checkpoint.sequence) }
        }
        if let newest = published.max(by: { $0.sequence < $1.sequence }),
            !checkpoints.contains(where: { $0.sequence == newest.sequence && $0.hash == newest.hash })
        {
            return .checkpointMissing(sequence: newest.sequence)
        }
        return chain
    }

    public static func verify(_ entries: [AuditEntry], head: Head?) throws -> AuditVerification {
        // Each entry's own hash is checked once; the genuine ones tell a move from a deletion.
        let intact = try entries.map { try $0.expectedHash() == $0.hash }
        let knownHashes = Set(zip(entries, intact).filter(\.1).map(\.0.hash))
        var previousHash = AuditEntry.genesisHash
        var expectedSequence: Int64 = 1
        for (entry, isIntact) in zip(entries, intact) {
            if !isIntact { return .modified(sequence: entry.sequence) }
            if entry.sequence != expectedSequence { return .deleted(sequence: expectedSequence) }
            if entry.previousHash != previousHash {
                // A genuine entry whose predecessor exists elsewhere in the log was moved;
                // one whose predecessor is nowhere was left behind by a deletion.
                return knownHashes.contains(entry.previousHash) || entry.previousHash == AuditEntry.genesisHash
                    ? .reordered(sequence: entry.sequence)
                    : .deleted(sequence: entry.sequence)
            }
            previousHash = entry.hash
            expectedSequence += 1
        }
        let last = expectedSequence - 1
        if let head {
            if head.sequence > last { return .cutOff(lastPresent: last, expected: head.sequence) }
            if head.sequence == last, head.hash != previousHash { return .modified(sequence: last) }
        }
        return .intact(entries: entries.count)
    }
}
