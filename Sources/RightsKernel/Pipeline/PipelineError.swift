public import Foundation

/// Why the pipeline refused an operation; says what and never echoes personal data.
public struct PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a stable name, and the kind of refusal it is. Every interface maps a
    /// kind once (an exit status, an HTTP status), so a new code is one line here. A struct over
    /// a private enum, so the set can grow without breaking a caller's `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Name: String, Sendable {
            case rightNotEnabled = "right-not-enabled"
            case requestNotFound = "request-not-found"
            case requesterNotAccepted = "requester-not-accepted"
            case invalidRequest = "invalid-request"
            case illegalTransition = "illegal-transition"
            case verificationFailed = "verification-failed"
            case extensionRefused = "extension-refused"
            case conflict = "conflict"
            case workFailed = "work-failed"
            case rateLimited = "rate-limited"
        }

        private let name: Name
        /// How an interface should answer it.
        public let kind: Kind

        private init(_ name: Name, _ kind: Kind) {
            self.name = name
            self.kind = kind
        }

        /// The stable name (`right-not-enabled`), as scripts and API clients read it.
        public var description: String { name.rawValue }

        public static let rightNotEnabled = Code(.rightNotEnabled, .unacceptable)
        public static let requestNotFound = Code(.requestNotFound, .notFound)
        public static let requesterNotAccepted = Code(.requesterNotAccepted, .unacceptable)
        public static let invalidRequest = Code(.invalidRequest, .invalid)
        public static let illegalTransition = Code(.illegalTransition, .notNow)
        public static let verificationFailed = Code(.verificationFailed, .verificationFailed)
        public static let extensionRefused = Code(.extensionRefused, .notNow)
        /// Another process changed or is working the request first; nothing was changed here.
        public static let conflict = Code(.conflict, .conflict)
        /// The module's work failed; the request records the step and will be retried.
        public static let workFailed = Code(.workFailed, .workFailed)
        /// Too many filings or codes for one person in the window; `retryAfter` says when.
        public static let rateLimited = Code(.rateLimited, .rateLimited)
    }

    /// The kinds of refusal an interface tells apart.
    public enum Kind: Sendable, Hashable {
        /// No such request (or one the caller may not know of).
        case notFound
        /// Malformed input; nothing was recorded.
        case invalid
        /// Well formed but not accepted by this deployment (a right not enabled, a requester role).
        case unacceptable
        /// Not allowed in the request's current state (an illegal transition, a second extension).
        case notNow
        /// Another process got there first; nothing was changed.
        case conflict
        /// The work failed and is recorded for a retry.
        case workFailed
        /// Too many in a window; retry after the time given.
        case rateLimited
        /// The verification code was wrong, expired or tried too often.
        case verificationFailed
    }

    public let code: Code
    public let message: String
    /// The field of the request at fault (`subject`, `requester_reference`, a parameter), when one is.
    public let field: String?
    /// When a rate-limited operation will be accepted again.
    public let retryAfter: Date?
    /// The request the failed work belongs to, which is recorded and will be retried: a caller
    /// that filed it still learns its id.
    public let request: RequestID?

    public init(_ code: Code, _ message: String, field: String? = nil, retryAfter: Date? = nil, request: RequestID? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
        self.request = request
    }

    /// An intake mistake, naming its field.
    init(_ error: IntakeError) {
        self.init(.invalidRequest, error.description, field: error.field)
    }

    public var description: String { message }

    /// Two refusals are the same when they say the same (an intake mistake's field is named at
    /// the start of its message too).
    public static func == (lhs: PipelineError, rhs: PipelineError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.retryAfter == rhs.retryAfter && lhs.request == rhs.request
    }

    static func from(_ error: LifecycleError) -> PipelineError {
        PipelineError(.illegalTransition, error.description)
    }
}
