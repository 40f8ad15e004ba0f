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
        // Stored and published copies of one checkpoint count once; in the order they were signed.
        var seen = Set<String>()
        let all = (checkpoints + published).sorted { $0.sequence < $1.sequence }.filter { seen.insert($0.signature).inserted }
        var previous: AuditCheckpoint?
        for checkpoint in all {
            // Each checkpoint signed the one before it: one that does not verify after its
            // predecessor was signed after a checkpoint that is gone, or not by this key.
            if !checkpoint.isSigned(by: publicKey, after: previous) {
                return previous == nil ? .forgedCheckpoint(sequence: checkpoint.sequence) : .checkpointDeleted(before: checkpoint.sequence)
            }
            guard let hash = hashes[checkpoint.sequence] else { return .cutOff(lastPresent: last, expected: checkpoint.sequence) }
            guard hash == checkpoint.hash else { return .rewritten(sequence: checkpoint.sequence) }
            previous = checkpoint
        }
        if let newest = published.max(by: { $0.sequence < $1.sequence }),
            !checkpoints.contains(where: { $0.sequence == newest.sequence && $0.hash == newest.hash })
        {
            return .checkpointMissing(sequence: newest.sequence)
        }
        return chain
    }

    /// What is wrong with the chain from `checkpoint` (nil: from the first entry) to `head`,
    /// given the entries from the checkpoint's on; nil when every entry since is in place and
    /// leads to the head: what must hold before a new checkpoint may seal it.
    public static func problemSince(_ checkpoint: AuditCheckpoint?, entries: [AuditEntry], head: Head) throws -> AuditVerification? {
        let start = checkpoint?.sequence ?? 1
        guard head.sequence >= start else { return .cutOff(lastPresent: head.sequence, expected: start) }
        guard let first = entries.first, first.sequence == start else { return .deleted(sequence: start) }
        if let checkpoint, first.hash != checkpoint.hash { return .rewritten(sequence: checkpoint.sequence) }
        let walked = try walk(entries, from: start, after: checkpoint == nil ? AuditEntry.genesisHash : first.previousHash)
        if let broken = walked.broken { return broken }
        if head.sequence > walked.last { return .cutOff(lastPresent: walked.last, expected: head.sequence) }
        // Entries past the head, or a head that names another hash: the head was rewritten.
        if head.sequence < walked.last || head.hash != walked.hash { return .modified(sequence: head.sequence) }
        return nil
    }

    public static func verify(_ entries: [AuditEntry], head: Head?) throws -> AuditVerification {
        let walked = try walk(entries, from: 1, after: AuditEntry.genesisHash)
        if let broken = walked.broken { return broken }
        if let head {
            if head.sequence > walked.last { return .cutOff(lastPresent: walked.last, expected: head.sequence) }
            if head.sequence == walked.last, head.hash != walked.hash { return .modified(sequence: walked.last) }
        }
        return .intact(entries: entries.count)
    }

    /// Walks `entries`, the first expected at `start` after the hash `previous`: the first break,
    /// or the last sequence and hash reached.
    private static func walk(_ entries: [AuditEntry], from start: Int64, after previous: String) throws
        -> (broken: AuditVerification?, last: Int64, hash: String)
    {
        // Each entry's own hash is checked once; the genuine ones tell a move from a deletion.
        let intact = try entries.map { try $0.expectedHash() == $0.hash }
        let knownHashes = Set(zip(entries, intact).filter(\.1).map(\.0.hash))
        var previousHash = previous
        var expectedSequence = start
        for (entry, isIntact) in zip(entries, intact) {
            if !isIntact { return (.modified(sequence: entry.sequence), 0, "") }
            if entry.sequence != expectedSequence { return (.deleted(sequence: expectedSequence), 0, "") }
            if entry.previousHash != previousHash {
                // A genuine entry whose predecessor exists elsewhere in the log was moved;
                // one whose predecessor is nowhere was left behind by a deletion.
                let moved = knownHashes.contains(entry.previousHash) || entry.previousHash == AuditEntry.genesisHash
                return (moved ? .reordered(sequence: entry.sequence) : .deleted(sequence: entry.sequence), 0, "")
            }
            previousHash = entry.hash
            expectedSequence += 1
        }
        return (nil, expectedSequence - 1, previousHash)
    }
}
