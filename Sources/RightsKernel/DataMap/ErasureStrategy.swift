/// How a personal field is erased (clause 5.3).
public enum ErasureStrategy: Sendable, Equatable {
    /// The whole row is deleted.
    case deleteRow
    /// The value becomes NULL.
    case null
    /// The value is replaced by a fixed text (`"deleted user"`).
    case fixed(String)
    /// The value is replaced by an HMAC-SHA256 with the deployment's key (not reversible by
    /// guessing without the key).
    case hmac
    /// The value is stored encrypted with a per-subject key; erasure destroys the key.
    case encrypt
    /// Deletion is technically infeasible (backup tapes, append-only logs): the field is
    /// restricted instead, indefinitely.
    case restrict

    /// The names used in the data map.
    public static let names = ["delete-row", "null", "fixed", "hmac", "encrypt", "restrict"]

    public var name: String {
        switch self {
        case .deleteRow: "delete-row"
        case .null: "null"
        case .fixed: "fixed"
        case .hmac: "hmac"
        case .encrypt: "encrypt"
        case .restrict: "restrict"
        }
    }
}
