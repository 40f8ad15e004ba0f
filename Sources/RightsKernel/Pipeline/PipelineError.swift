public import Foundation

/// Why the pipeline refused an operation; says what and never echoes personal data.
public struct PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case rightNotEnabled = "right-not-enabled"
        case requestNotFound = "request-not-found"
        case requesterNotAccepted = "requester-not-accepted"
        case invalidRequest = "invalid-request"
        case illegalTransition = "illegal-transition"
        case verificationFailed = "verification-failed"
        case extensionRefused = "extension-refused"
        /// Another process changed or is working the request first; nothing was changed here.
        case conflict = "conflict"
        /// The module's work failed; the request records the step and will be retried.
        case workFailed = "work-failed"
        /// Too many filings or codes for one person in the window; `retryAfter` says when.
        case rateLimited = "rate-limited"
    }

    public let code: Code
    public let message: String
    /// When a rate-limited operation will be accepted again.
    public let retryAfter: Date?
    /// The request the failed work belongs to, which is recorded and will be retried: a caller
    /// that filed it still learns its id.
    public let request: RequestID?

    public init(_ code: Code, _ message: String, retryAfter: Date? = nil, request: RequestID? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.request = request
    }

    public var description: String { message }

    static func from(_ error: LifecycleError) -> PipelineError {
        PipelineError(.illegalTransition, error.description)
    }
}
