/// Where a request stands in its lifecycle.
///
/// `received → awaitingVerification → verified → inProgress → completed | partiallyCompleted |
/// denied | cancelled`, with `awaitingFee` and `awaitingReview` as detours, and
/// `needsAttention` when the module's work failed too often and waits for an operator's retry.
/// A deadline extension is recorded on the request, not as a state.
public enum RequestState: String, Codable, Sendable, CaseIterable {
    case received
    case awaitingVerification
    case verified
    case awaitingFee
    case awaitingReview
    case inProgress
    /// The module's work failed the configured number of times; an operator retries or denies.
    case needsAttention
    case completed
    case partiallyCompleted
    case denied
    case cancelled

    /// The states this one may move to; anything else is refused.
    public var successors: Set<RequestState> {
        switch self {
        case .received: [.awaitingVerification, .verified, .denied, .cancelled]
        case .awaitingVerification: [.verified, .denied, .cancelled]
        case .verified: [.awaitingFee, .awaitingReview, .inProgress, .denied, .cancelled]
        case .awaitingFee: [.awaitingReview, .inProgress, .denied, .cancelled]
        case .awaitingReview: [.awaitingFee, .inProgress, .denied, .cancelled]
        case .inProgress: [.completed, .partiallyCompleted, .denied, .needsAttention]
        case .needsAttention: [.inProgress, .denied]
        case .completed, .partiallyCompleted, .denied, .cancelled: []
        }
    }

    /// A final state: nothing more happens to the request.
    public var isFinal: Bool { successors.isEmpty }

    /// Whether the request may move to `next`.
    public func allows(_ next: RequestState) -> Bool { successors.contains(next) }
}
