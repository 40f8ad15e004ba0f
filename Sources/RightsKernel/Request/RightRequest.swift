import Foundation

/// A request to exercise one right, as the ledger holds it.
public struct RightRequest: Codable, Sendable, Equatable {
    public var id: RequestID
    /// The module identifier (`"erasure"`).
    public var right: String
    /// The subject's identity; nil once the request is final and the ledger was minimised.
    public var subject: SubjectIdentity?
    /// A salted hash of the subject's identity; stays after minimisation so repetition counts
    /// and holds still match.
    public var subjectKey: SubjectKey
    /// Where codes and the outcome are sent; nil once the request is final.
    public var contact: SubjectIdentity?
    public var requester: RequesterRole
    /// A reference to the requester when it is not the subject (an agent id, a relationship
    /// proof reference); never personal data.
    public var requesterReference: String?
    /// Module-specific parameters (`ground=consent-withdrawn`); cleared at minimisation.
    public var parameters: [String: String]
    public var state: RequestState
    public var receivedAt: Date
    public var dueAt: Date
    /// The reason recorded when the deadline was extended; a deadline extends once.
    public var extensionReason: String?
    /// Set when an operator routes the request to manual review.
    public var reviewRequested: Bool
    /// A fee quoted under the repetition policy.
    public var feeQuote: FeeQuote?
    /// The outcome once the module handled the request, or the denial.
    public var outcome: RightOutcome?
    /// When an in-progress request whose module is waiting should be continued.
    public var resumeAt: Date?
    public var updatedAt: Date

    public init(
        id: RequestID = RequestID(),
        right: String,
        subject: SubjectIdentity,
        subjectKey: SubjectKey,
        contact: SubjectIdentity? = nil,
        requester: RequesterRole = .subject,
        requesterReference: String? = nil,
        parameters: [String: String] = [:],
        receivedAt: Date,
        dueAt: Date
    ) {
        self.id = id
        self.right = right
        self.subject = subject
        self.subjectKey = subjectKey
        self.contact = contact ?? subject
        self.requester = requester
        self.requesterReference = requesterReference
        self.parameters = parameters
        self.state = .received
        self.receivedAt = receivedAt
        self.dueAt = dueAt
        self.extensionReason = nil
        self.reviewRequested = false
        self.feeQuote = nil
        self.outcome = nil
        self.resumeAt = nil
        self.updatedAt = receivedAt
    }

    /// Drops what identifies the subject, keeping what proves the response (clause 5.3 must not
    /// leave an erased subject alive in the ledger).
    public mutating func minimise() {
        subject = nil
        contact = nil
        parameters = [:]
    }

    /// Moves to `next`, refusing transitions the lifecycle does not allow.
    public mutating func transition(to next: RequestState, at time: Date) throws(LifecycleError) {
        guard state.allows(next) else { throw LifecycleError(request: id, from: state, to: next) }
        state = next
        updatedAt = time
    }
}

/// A salted hash identifying a subject without revealing who it is.
public struct SubjectKey: Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }
}

/// A fee quoted for a request beyond the free allowance (clause 5.10).
public struct FeeQuote: Codable, Sendable, Equatable {
    public var amount: Decimal
    public var currency: String
    public init(amount: Decimal, currency: String) {
        self.amount = amount
        self.currency = currency
    }
}
