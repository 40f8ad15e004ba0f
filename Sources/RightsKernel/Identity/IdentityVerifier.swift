public import Foundation

/// Verifies that a requester controls the identity a request names.
public protocol IdentityVerifier: Sendable {
    /// Prepares a challenge for the request: the code to store and the message that delivers
    /// it to `recipient` (the subject's own contact, chosen by the pipeline; nil when the subject
    /// has none on file, and then nothing is sent), with `notice` (what must be read before
    /// confirming), worded from `texts` in the subject's language. The pipeline commits both with the request's state change, so a challenge
    /// is never sent for a state not saved.
    func challenge(_ request: RightRequest, to recipient: SubjectIdentity?, notice: String?, texts: TextCatalogue) throws -> Challenge
    /// Checks a response to the request's challenge (as read with the request); counting the
    /// attempt and consuming the code happen in one atomic step, so of many concurrent right
    /// answers exactly one passes.
    func verify(_ request: RequestUnderVerification, response: String) async throws -> VerificationResult
    /// Requests whose challenge was passed; the pipeline finishes recording the verification of
    /// any still awaiting it (a process that died between the two).
    func passedChallenges() async throws -> [RequestID]
}

/// A challenge to commit with a request's state: the stored code and the message carrying it.
public struct Challenge: Sendable {
    public var code: StoredCode?
    public var message: OutboundMessage?

    public init(code: StoredCode?, message: OutboundMessage?) {
        self.code = code
        self.message = message
    }
}

/// The result of checking a verification response.
public enum VerificationResult: Sendable, Equatable {
    case verified
    /// Wrong code; `remaining` attempts are left on the request, `guessesLeft` in the person's
    /// guessing budget (0: this answer spent it).
    case rejected(remaining: Int, guessesLeft: Int)
    case expired
    /// The attempt limit was reached; the request cannot be verified any more. `guessesLeft` as
    /// for ``rejected(remaining:guessesLeft:)`` when this answer was a wrong one.
    case locked(guessesLeft: Int?)
    /// The person's guessing budget is spent: no code is checked for them until `retryAfter`.
    case guessingBudgetSpent(retryAfter: Date)
    /// No challenge is outstanding for the request.
    case noChallenge
    /// The code was already used: another response verified the request first.
    case alreadyUsed
    /// The response is not shaped like a code (wrong length, not digits); no attempt was spent.
    case malformed
}
