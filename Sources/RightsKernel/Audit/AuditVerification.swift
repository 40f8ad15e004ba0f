/// The result of checking the audit chain; a break names the first entry affected.
public enum AuditVerification: Sendable, Equatable, CustomStringConvertible {
    /// Every entry is in place; `entries` were checked.
    case intact(entries: Int)
    /// The entry's content no longer matches its hash.
    case modified(sequence: Int64)
    /// Entries are missing before `sequence` (or at it, when nothing follows).
    case deleted(sequence: Int64)
    /// The entry is genuine but no longer follows the entry that precedes it.
    case reordered(sequence: Int64)
    /// The log ends at `lastPresent`, but the chain head records `expected` entries.
    case cutOff(lastPresent: Int64, expected: Int64)
    /// The chain is consistent but differs from a signed checkpoint at `sequence`: it was
    /// rewritten, hashes and all, at or before that entry.
    case rewritten(sequence: Int64)
    /// A checkpoint's signature does not verify under the deployment's key.
    case forgedCheckpoint(sequence: Int64)
    /// The newest checkpoint published outside the database is not in the database (its
    /// checkpoints were deleted or replaced).
    case checkpointMissing(sequence: Int64)
    /// The checkpoint at `sequence` was signed after one that is no longer there: a checkpoint
    /// between was deleted.
    case checkpointDeleted(before: Int64)
    /// A request whose changes were recorded has no audit entries: the entries were cut.
    case requestUnaudited(RequestID)

    public var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .intact(let count): "audit chain intact: \(count) entries"
        case .modified(let sequence): "entry \(sequence) was modified"
        case .deleted(let sequence): "entry \(sequence) was deleted"
        case .reordered(let sequence): "entry \(sequence) was reordered"
        case .cutOff(let last, let expected): "log cut off after entry \(last) (chain head records \(expected))"
        case .rewritten(let sequence): "the chain was rewritten: entry \(sequence) differs from its signed checkpoint"
        case .forgedCheckpoint(let sequence):
            "the checkpoint at entry \(sequence) is not signed by this deployment's key as the first checkpoint (forged, or the checkpoints before it were deleted)"
        case .checkpointMissing(let sequence):
            "the checkpoint published at entry \(sequence) is missing from the database, or differs there"
        case .checkpointDeleted(let sequence):
            "the checkpoint at entry \(sequence) does not follow the checkpoint before it: one between was deleted (or it is not this deployment's)"
        case .requestUnaudited(let request): "request \(request) was recorded but its audit entries are gone: the log was cut"
        }
    }
}
