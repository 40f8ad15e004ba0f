/// The exit codes of `rightskit`, stable so scripts can branch on them.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// Something unexpected failed (I/O, a corrupt database).
    case failure = 1
    /// The deployment file has mistakes.
    case invalidConfiguration = 3
    /// No such request or hold.
    case notFound = 4
    /// Refused by policy or the lifecycle: a right not enabled, a requester role not accepted,
    /// an illegal transition, an extension not allowed.
    case refused = 5
    /// The audit chain is broken.
    case auditBroken = 6
    /// Another process changed or is working the request first; nothing was changed.
    case conflict = 7
    /// A request's work failed (it is recorded on the request, and retried or left for an operator).
    case workFailed = 8
    /// Too many filings or codes for one person in a short time; the message says when to retry.
    case rateLimited = 9
    /// The verification code was wrong, expired, or tried too often.
    case verificationFailed = 10
    /// `datamap drift` found the live schema moved away from the data map (the findings are printed).
    case dataMapDrift = 11
    /// The input is malformed: an option, a request (unknown kind, junk characters, unknown
    /// parameter) or a code of the wrong shape. Nothing was recorded. (EX_USAGE, as for a
    /// mistyped option.)
    case badInput = 64

    /// A stable name for JSON errors.
    var name: String {
        switch self {
        case .success: "success"
        case .failure: "failure"
        case .invalidConfiguration: "invalid-configuration"
        case .notFound: "not-found"
        case .refused: "refused"
        case .auditBroken: "audit-broken"
        case .conflict: "conflict"
        case .workFailed: "work-failed"
        case .rateLimited: "rate-limited"
        case .verificationFailed: "verification-failed"
        case .dataMapDrift: "data-map-drift"
        case .badInput: "bad-input"
        }
    }

    /// The list `rightskit help` prints.
    static let summary = """
        Exit codes: 0 success; 1 unexpected failure; 3 invalid configuration (file:line:column: key: what);
        4 not found; 5 refused by policy (right not enabled, role not accepted, illegal transition);
        6 audit chain broken; 7 conflict (another process changed or works the request; nothing changed);
        8 a request's work failed (recorded, retried); 9 too many filings or codes (retry after the time given);
        10 verification failed (wrong, expired or too many codes); 11 the schema drifted from the
        data map (`datamap drift`); 64 bad input (a malformed option,
        request or code; nothing recorded). With --json an error is one JSON object, the last line
        on stderr: {"error": {"code", "exit", "message"}}.
        """
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
