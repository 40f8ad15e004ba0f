public import Foundation

/// Storage for one-time codes: only a salted hash of each code is kept.
public protocol VerificationCodeStore: Sendable {
    func code(for request: RequestID) async throws -> StoredCode?
    /// Checks one response to `code` (as read with its request) in a single atomic step: the
    /// attempt is counted and, when `digest` of the code's salt equals its hash, the code is
    /// consumed; a wrong one is counted against `budget` too. A code consumed, replaced, out of
    /// attempts or expired meanwhile, or a person whose budget is spent, counts nothing and
    /// checks nothing.
    func attempt(_ code: StoredCode, at time: Date, budget: GuessingBudget, digest: @escaping @Sendable ([UInt8]) -> [UInt8])
        async throws -> CodeAttempt
    /// Requests whose code was consumed.
    func consumedCodes() async throws -> [RequestID]
}

/// What one checked response did to a stored code.
public enum CodeAttempt: Sendable, Equatable {
    case matched
    /// Wrong; `attempts` of `maxAttempts` are now used, and `guessesLeft` of the person's budget.
    case mismatched(attempts: Int, maxAttempts: Int, guessesLeft: Int)
    /// The person's guessing budget is spent: nothing was checked until `retryAfter`.
    case budgetSpent(retryAfter: Date)
    case exhausted
    case expired
    /// Consumed by an earlier (or concurrent) right response.
    case used
    case none
}

/// A one-time code as stored: salted hash, expiry and attempts.
public struct StoredCode: Sendable, Equatable {
    public var request: RequestID
    public var salt: [UInt8]
    public var hash: [UInt8]
    public var expiresAt: Date
    public var attempts: Int
    public var maxAttempts: Int
    public var consumed: Bool

    public init(request: RequestID, salt: [UInt8], hash: [UInt8], expiresAt: Date, attempts: Int, maxAttempts: Int, consumed: Bool) {
        self.request = request
        self.salt = salt
        self.hash = hash
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.consumed = consumed
    }
}
