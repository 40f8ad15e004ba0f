import Crypto
import Foundation

/// Verification by one-time code: a random numeric code sent through the notifier, stored as a
/// salted SHA-256 hash, valid for a limited time and a limited number of attempts, compared in
/// constant time.
public struct OneTimeCodeVerifier: IdentityVerifier {
    /// Settings from `services.identity` in the deployment.
    public struct Settings: Sendable, Equatable {
        public var codeLifetime: TimeInterval
        public var maxAttempts: Int
        public var digits: Int
        public init(codeLifetime: TimeInterval = 600, maxAttempts: Int = 3, digits: Int = 6) {
            self.codeLifetime = codeLifetime
            self.maxAttempts = maxAttempts
            self.digits = digits
        }
    }

    let settings: Settings
    let codes: any VerificationCodeStore
    let notifier: any Notifier
    let clock: any WallClock

    public init(settings: Settings, codes: any VerificationCodeStore, notifier: any Notifier, clock: any WallClock) {
        self.settings = settings
        self.codes = codes
        self.notifier = notifier
        self.clock = clock
    }

    public func challenge(_ request: RightRequest, notice: String?) async throws {
        guard let recipient = request.contact ?? request.subject else { return }
        var generator = SystemRandomNumberGenerator()
        let code = (0..<settings.digits).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        try await codes.saveCode(StoredCode(
            request: request.id,
            salt: salt,
            hash: Self.digest(code, salt: salt),
            expiresAt: clock.now.addingTimeInterval(settings.codeLifetime),
            attempts: 0,
            maxAttempts: settings.maxAttempts,
            consumed: false
        ))
        let minutes = Int(settings.codeLifetime / 60)
        try await notifier.send(OutboundMessage(
            kind: "verification-code",
            recipient: recipient,
            title: "Confirm your \(request.right) request",
            body: "Your verification code is \(code). It expires in \(minutes) minutes. Request \(request.id)." + (notice.map { "\n\n" + $0 } ?? ""),
            request: request.id
        ))
    }

    public func verify(_ request: RequestID, response: String) async throws -> VerificationResult {
        guard let stored = try await codes.code(for: request), !stored.consumed else { return .noChallenge }
        if stored.attempts >= stored.maxAttempts { return .locked }
        if clock.now >= stored.expiresAt { return .expired }
        let candidate = Self.digest(response.trimmingCharacters(in: .whitespaces), salt: stored.salt)
        if Self.constantTimeEqual(candidate, stored.hash) {
            try await codes.consumeCode(for: request)
            return .verified
        }
        let attempts = try await codes.recordFailedAttempt(for: request)
        return attempts >= stored.maxAttempts ? .locked : .rejected(remaining: stored.maxAttempts - attempts)
    }

    static func digest(_ code: String, salt: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Data(code.utf8))
        return Array(hasher.finalize())
    }

    /// Compares without an early exit, so timing does not reveal how many bytes matched.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
