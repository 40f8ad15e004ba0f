/// How strongly a requester's identity must be verified before a right is processed (clause 5.10).
public enum VerificationLevel: String, Codable, Sendable, CaseIterable, Comparable {
    /// No verification (only for rights that disclose nothing, such as a general explanation).
    case none
    /// A one-time code delivered to the subject's contact identity.
    case code
    /// A one-time code and an operator's confirmation of identity documents (copies, transfers).
    case strong

    private var rank: Int {
        switch self {
        case .none: 0
        case .code: 1
        case .strong: 2
        }
    }

    public static func < (lhs: VerificationLevel, rhs: VerificationLevel) -> Bool { lhs.rank < rhs.rank }
}
