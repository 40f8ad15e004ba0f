public import Foundation

/// A request to exercise one right, as the ledger holds it. Its state and everything that
/// changes with it are set only by the kernel's transitions and the stores (`package(set)`), so
/// a module or a composition root reads them but cannot skip a transition.
public struct RightRequest: Codable, Sendable, Equatable {
    public var id: RequestID
    /// The module identifier (`"erasure"`).
    public var right: String
    /// The subject's identity; nil once the request is final and the ledger was minimised.
    public package(set) var subject: SubjectIdentity?
    /// A salted hash of the subject's identity; stays after minimisation so repetition counts
    /// and holds still match.
    public var subjectKey: SubjectKey
    /// A salted hash of the person the subject's identity resolves to through the data map (the
    /// same for their email, phone and user id), under which their filing quota and guessing
    /// budget are counted; the subject key where the map knows no one, or in older ledgers.
    public package(set) var personKey: SubjectKey?
    /// Where codes and the outcome are sent; nil once the request is final.
    public package(set) var contact: SubjectIdentity?
    public var requester: RequesterRole
    /// A reference to the requester when it is not the subject (an agent id, a relationship
    /// proof reference); never personal data.
    public var requesterReference: String?
    /// Module-specific parameters (`ground=consent-withdrawn`); cleared at minimisation.
    public package(set) var parameters: [String: String]
    public package(set) var state: RequestState
    public var receivedAt: Date
    public package(set) var dueAt: Date
    /// The reason recorded when the deadline was extended; a deadline extends once.
    public package(set) var extensionReason: String?
    /// Set when an operator routes the request to manual review.
    public package(set) var reviewRequested: Bool
    /// A fee quoted under the repetition policy.
    public package(set) var feeQuote: FeeQuote?
    /// The outcome once the module handled the request, or the denial.
    public package(set) var outcome: RightOutcome?
    /// When an in-progress request whose module is waiting should be continued.
    public package(set) var resumeAt: Date?
    public package(set) var updatedAt: Date
    /// The level to which the subject's identity was actually verified (a code; a code and an
    /// operator's check); nil until verification. Modules see this, not the configured level.
    public package(set) var verification: VerificationLevel?
    /// An operator recorded that the quoted fee was paid.
    public package(set) var feeAccepted: Bool
    /// An operator approved the request in review.
    public package(set) var reviewApproved: Bool
    /// Failed attempts at the module's work since it last succeeded or an operator retried it.
    public package(set) var failures: Int
    /// The last failure of the module's work: the step and what went wrong.
    public package(set) var lastFailure: WorkFailure?
    /// The language the subject chose at filing; their messages are written in it (English when none).
    public package(set) var language: TextLanguage?
    /// The open standard that carried the request in, with the client's reference and callbacks;
    /// nil for a request filed through RightsKit's own API, pages or command line.
    public package(set) var channel: RequestChannel?
    /// The ledger's version of this request: every committed change increments it, and a
    /// change commits only over the version it was made from. Kept by the ledger, not encoded.
    public internal(set) var version: Int = 0

    enum CodingKeys: String, CodingKey {
        case id, right, subject, subjectKey, personKey, contact, requester, requesterReference, parameters, state, receivedAt, dueAt
        case extensionReason, reviewRequested, feeQuote, outcome, resumeAt, updatedAt
        case verification, feeAccepted, reviewApproved, failures, lastFailure, language, channel
    }

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
        self.personKey = nil
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
        self.verification = nil
        self.feeAccepted = false
        self.reviewApproved = false
        self.failures = 0
        self.lastFailure = nil
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(RequestID.self, forKey: .id)
        right = try container.decode(String.self, forKey: .right)
        subject = try container.decodeIfPresent(SubjectIdentity.self, forKey: .subject)
        subjectKey = try container.decode(SubjectKey.self, forKey: .subjectKey)
        personKey = try container.decodeIfPresent(SubjectKey.self, forKey: .personKey)
        contact = try container.decodeIfPresent(SubjectIdentity.self, forKey: .contact)
        requester = try container.decode(RequesterRole.self, forKey: .requester)
        requesterReference = try container.decodeIfPresent(String.self, forKey: .requesterReference)
        parameters = try container.decode([String: String].self, forKey: .parameters)
        state = try container.decode(RequestState.self, forKey: .state)
        receivedAt = try container.decode(Date.self, forKey: .receivedAt)
        dueAt = try container.decode(Date.self, forKey: .dueAt)
        extensionReason = try container.decodeIfPresent(String.self, forKey: .extensionReason)
        reviewRequested = try container.decode(Bool.self, forKey: .reviewRequested)
        feeQuote = try container.decodeIfPresent(FeeQuote.self, forKey: .feeQuote)
        outcome = try container.decodeIfPresent(RightOutcome.self, forKey: .outcome)
        resumeAt = try container.decodeIfPresent(Date.self, forKey: .resumeAt)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
        // Fields added after the first ledgers were written default when absent.
        verification = try container.decodeIfPresent(VerificationLevel.self, forKey: .verification)
        feeAccepted = try container.decodeIfPresent(Bool.self, forKey: .feeAccepted) ?? false
        reviewApproved = try container.decodeIfPresent(Bool.self, forKey: .reviewApproved) ?? false
        failures = try container.decodeIfPresent(Int.self, forKey: .failures) ?? 0
        lastFailure = try container.decodeIfPresent(WorkFailure.self, forKey: .lastFailure)
        language = try container.decodeIfPresent(TextLanguage.self, forKey: .language)
        channel = try container.decodeIfPresent(RequestChannel.self, forKey: .channel)
    }

    /// The key the person's quotas and guessing budget are counted under.
    public var quotaKey: SubjectKey { personKey ?? subjectKey }

    /// The request as the ledger holds it at `version`; only ledgers set the version.
    public func stored(at version: Int) -> RightRequest {
        var copy = self
        copy.version = version
        return copy
    }

    /// Drops what identifies the subject, keeping what proves the response (clause 5.3 must not
    /// leave an erased subject alive in the ledger).
    public mutating func minimise() {
        subject = nil
        contact = nil
        parameters = [:]
        // Who filed is in the audit trail by role; their reference to an authority (a court
        // order, a household register) is not needed once the request is final.
        requesterReference = nil
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

/// Why the module's work on a request failed: the step it was in and what went wrong, without
/// personal data (error descriptions name tables and constraints, never values).
public struct WorkFailure: Codable, Sendable, Equatable {
    /// The journalled step that failed, or nil when the failure was outside any step.
    public var step: String?
    public var message: String
    public var at: Date

    public init(step: String?, message: String, at: Date) {
        self.step = step
        self.message = message
        self.at = at
    }
}
