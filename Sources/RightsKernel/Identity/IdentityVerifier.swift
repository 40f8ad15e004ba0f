/// Verifies that a requester controls the identity a request names.
public protocol IdentityVerifier: Sendable {
    /// Issues a challenge (a one-time code) for the request and delivers it, with `notice`
    /// (what the requester must read before confirming) in the same message.
    func challenge(_ request: RightRequest, notice: String?) async throws
    /// Checks a response to the request's challenge.
    func verify(_ request: RequestID, response: String) async throws -> VerificationResult
}

/// The result of checking a verification response.
public enum VerificationResult: Sendable, Equatable {
    case verified
    /// Wrong code; `remaining` attempts are left.
    case rejected(remaining: Int)
    case expired
    /// The attempt limit was reached; the request cannot be verified any more.
    case locked
    /// No challenge is outstanding for the request.
    case noChallenge
}
