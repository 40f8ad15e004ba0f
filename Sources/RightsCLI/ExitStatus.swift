/// The exit codes of `rightskit`, stable so scripts can branch on them.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// Something unexpected failed (I/O, a corrupt database).
    case failure = 1
    /// The deployment file has mistakes.
    case invalidConfiguration = 3
    /// No such request or hold.
    case notFound = 4
    /// The operation was refused: illegal transition, wrong code, right not enabled.
    case refused = 5
    /// The audit chain is broken.
    case auditBroken = 6
    /// Another process changed or is working the request first; nothing was changed.
    case conflict = 7
    /// A request's work failed (it is recorded on the request, and retried or left for an operator).
    case workFailed = 8
    /// Too many filings or codes for one person in a short time; the message says when to retry.
    case rateLimited = 9
}

/// A failure with a message for the operator and an exit status.
struct CommandFailure: Error {
    let status: ExitStatus
    let message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
