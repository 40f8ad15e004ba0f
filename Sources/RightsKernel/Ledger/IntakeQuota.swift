public import Foundation

/// A cap on how often something may happen for one key (a subject, a requester's contact),
/// checked and counted inside the commit that does it, so concurrent filings cannot overrun it.
public struct IntakeQuota: Sendable, Equatable {
    /// What is counted.
    public enum Action: String, Sendable, Codable {
        /// A new request filed.
        case filing
        /// A new code sent for a request already filed.
        case resend
        /// A filing whose subject answered its code: what the person's own filing quota counts.
        /// The ledger keeps it with the request (when the person confirmed it), not as an event.
        case confirmation
        /// A wrong code answered: what the person's guessing budget counts.
        case failedAnswer = "failed-answer"
        /// A code sent to a contact, whoever filed: what the cap per destination counts.
        case codeSent = "code-sent"
    }

    /// Whose allowance it is: a salted key, never the identity itself.
    public var key: SubjectKey
    /// What is recorded when the quota lets the action through.
    public var action: Action
    /// What the limit counts (the action itself unless said otherwise: a filing is limited by
    /// the filings the person confirmed, so nobody else can use up their allowance).
    public var counting: Action
    /// At most this many counted actions in any `window`.
    public var limit: Int
    public var window: TimeInterval
    /// The least time after the last counted action of any kind on the key (0: none).
    public var cooldown: TimeInterval

    public init(
        key: SubjectKey, action: Action, limit: Int, window: TimeInterval, cooldown: TimeInterval = 0, counting: Action? = nil
    ) {
        self.key = key
        self.action = action
        self.counting = counting ?? action
        self.limit = limit
        self.window = window
        self.cooldown = cooldown
    }
}

/// A change refused because a quota is used up; nothing was recorded.
public struct IntakeQuotaExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    public let action: IntakeQuota.Action
    /// When the action will be accepted again.
    public let retryAfter: Date

    public init(action: IntakeQuota.Action, retryAfter: Date) {
        self.action = action
        self.retryAfter = retryAfter
    }

    public var description: String { description(retryAt: Timestamp.string(retryAfter)) }

    /// The refusal as a person reads it: when to try again in the deployment's local time.
    public func description(in timeZone: TimeZone) -> String { description(retryAt: Timestamp.localTime(retryAfter, in: timeZone)) }

    private func description(retryAt: String) -> String {
        let what =
            switch action {
            case .filing: "requests filed for this person"
            case .resend: "codes sent for this person"
            case .confirmation: "requests confirmed by this person"
            case .failedAnswer: "wrong codes for this person"
            case .codeSent: "codes sent to this contact"
            }
        return "too many \(what) in a short time; try again after \(retryAt)"
    }
}
