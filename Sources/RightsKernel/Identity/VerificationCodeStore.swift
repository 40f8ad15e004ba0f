import Foundation

/// Storage for one-time codes: only a salted hash of each code is kept.
public protocol VerificationCodeStore: Sendable {
    /// Replaces any code of the request with a new one.
    func saveCode(_ code: StoredCode) async throws
    func code(for request: RequestID) async throws -> StoredCode?
    /// Records one failed attempt and returns the new count.
    func recordFailedAttempt(for request: RequestID) async throws -> Int
    /// Marks the code used so it cannot verify twice.
    func consumeCode(for request: RequestID) async throws
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
