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
    }

    /// Whose allowance it is: a salted key, never the identity itself.
    public var key: SubjectKey
    public var action: Action
    /// At most this many actions in any `window`.
    public var limit: Int
    public var window: TimeInterval
    /// The least time after the last counted action of any kind on the key (0: none).
    public var cooldown: TimeInterval

    public init(key: SubjectKey, action: Action, limit: Int, window: TimeInterval, cooldown: TimeInterval = 0) {
        self.key = key
        self.action = action
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

    public var description: String {
        let what = action == .filing ? "requests filed" : "codes sent"
        return "too many \(what) for this person in a short time; try again after \(Timestamp.string(retryAfter))"
    }
}
