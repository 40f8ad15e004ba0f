/// What happened, as the audit log records it (`request.received`, `hold.added`): each spelt
/// once here (a module adds its own in an extension), stored as the same text, so chains
/// written before verify as they did.
public struct AuditAction: StoredText {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A request reaching a final state (`request.completed`, `request.partiallyCompleted`, …).
    public static func requestFinished(_ state: RequestState) -> AuditAction { AuditAction(rawValue: "request.\(state.rawValue)") }

    /// A request filed.
    public static let requestReceived = AuditAction(rawValue: "request.received")
    /// Its receipt confirmed to the requester (CCPA §7021).
    public static let requestAcknowledged = AuditAction(rawValue: "request.acknowledged")
    /// Denied, with its ground.
    public static let requestDenied = AuditAction(rawValue: "request.denied")
    /// Cancelled by the requester or an operator.
    public static let requestCancelled = AuditAction(rawValue: "request.cancelled")
    /// A one-time code sent.
    public static let identityChallenged = AuditAction(rawValue: "identity.challenged")
    /// A new code sent for the same request.
    public static let identityChallengedAgain = AuditAction(rawValue: "identity.challenged-again")
    /// The identity confirmed.
    public static let identityVerified = AuditAction(rawValue: "identity.verified")
    /// A wrong code.
    public static let identityRejected = AuditAction(rawValue: "identity.rejected")
    /// Too many wrong codes: the request is denied.
    public static let identityLocked = AuditAction(rawValue: "identity.locked")
    /// The person's guessing budget spent: no code is checked for them for the rest of the window.
    public static let identityGuessingBudgetSpent = AuditAction(rawValue: "identity.guessing-budget-spent")
    /// A code tried after it expired.
    public static let identityExpired = AuditAction(rawValue: "identity.expired")
    /// A right that needs no confirmation of identity.
    public static let identityNotRequired = AuditAction(rawValue: "identity.not-required")
    /// The client that filed through an open standard vouched for the subject's identity (a
    /// controller forwarding a request it verified to its processor).
    public static let identityAttested = AuditAction(rawValue: "identity.attested")
    /// The identity left to a reviewer.
    public static let identityByReview = AuditAction(rawValue: "identity.by-review")
    /// Waits for a reviewer.
    public static let reviewRequired = AuditAction(rawValue: "review.required")
    /// Routed to review by an operator.
    public static let reviewRequested = AuditAction(rawValue: "review.requested")
    /// Approved by a reviewer.
    public static let reviewApproved = AuditAction(rawValue: "review.approved")
    /// A repeated request waits for an operator's finding.
    public static let repetitionReview = AuditAction(rawValue: "repetition.review")
    /// A fee quoted for a repeated request.
    public static let feeQuoted = AuditAction(rawValue: "repetition.fee-quoted")
    /// An operator charged the fee, with a finding.
    public static let feeCharged = AuditAction(rawValue: "fee.charged")
    /// The requester accepted the fee.
    public static let feeAccepted = AuditAction(rawValue: "fee.accepted")
    /// The requester declined the fee.
    public static let feeDeclined = AuditAction(rawValue: "fee.declined")
    /// An operator recorded the fee as paid.
    public static let feeSettled = AuditAction(rawValue: "fee.settled")
    /// The quote lapsed unanswered.
    public static let feeLapsed = AuditAction(rawValue: "fee.lapsed")
    /// The work began.
    public static let processingStarted = AuditAction(rawValue: "processing.started")
    /// The module has work due later.
    public static let processingWaiting = AuditAction(rawValue: "processing.waiting")
    /// An operator sent failed work back.
    public static let processingRetried = AuditAction(rawValue: "processing.retried")
    /// The work failed and will be retried.
    public static let processingFailed = AuditAction(rawValue: "processing.failed")
    /// The work failed too often: an operator decides.
    public static let processingNeedsAttention = AuditAction(rawValue: "processing.needs-attention")
    /// The deadline extended, with the reason.
    public static let deadlineExtended = AuditAction(rawValue: "deadline.extended")
    /// Operators reminded of a near deadline.
    public static let deadlineReminded = AuditAction(rawValue: "deadline.reminded")
    /// Operators told a deadline passed.
    public static let deadlineOverdue = AuditAction(rawValue: "deadline.overdue")
    /// A first answer given (LGPD Art. 19 I).
    public static let answerSimplified = AuditAction(rawValue: "answer.simplified")
    /// Data kept under a retention rule erased once the rule lifted.
    public static let retentionLifted = AuditAction(rawValue: "retention.lifted")
    /// A hold placed.
    public static let holdAdded = AuditAction(rawValue: "hold.added")
    /// A hold lifted.
    public static let holdLifted = AuditAction(rawValue: "hold.lifted")
    /// An operator's token made.
    public static let tokenCreated = AuditAction(rawValue: "token.created")
    /// An operator's token revoked.
    public static let tokenRevoked = AuditAction(rawValue: "token.revoked")
}
