import Crypto
public import Foundation

/// Verification by one-time code: a random numeric code sent through the notifier, stored as a
/// salted SHA-256 hash, valid for a limited time and a limited number of attempts (one budget
/// across resends); a response is counted and compared in one atomic step of the store.
public struct OneTimeCodeVerifier: IdentityVerifier {
    /// Settings from `services.identity` in the deployment.
    public struct Settings: Sendable, Equatable {
        public var codeLifetime: TimeInterval
        public var maxAttempts: Int
        public var digits: Int
        /// Wrong answers one person may give in `guessingWindow`, across all their requests.
        public var failuresPerWindow: Int
        public var guessingWindow: TimeInterval

        /// The highest chance of a guesser succeeding within a year a deployment may accept;
        /// the defaults keep it below 10⁻⁴.
        public static let guessingCeiling = 1e-3

        public init(
            codeLifetime: TimeInterval = 600, maxAttempts: Int = 3, digits: Int = 8, failuresPerWindow: Int = 10,
            guessingWindow: TimeInterval = 86_400
        ) {
            self.codeLifetime = codeLifetime
            self.maxAttempts = maxAttempts
            self.digits = digits
            self.failuresPerWindow = failuresPerWindow
            self.guessingWindow = guessingWindow
        }

        /// An upper bound on the chance that someone guessing one person's codes succeeds within
        /// a year: each guess hits with 10⁻ᵈⁱᵍⁱᵗˢ, and no more than the budget's failures fit in
        /// each window (a right answer ends the guessing), so by the union bound at most
        /// `failuresPerWindow × (windows in a year + 1)` guesses are ever checked.
        public var yearlyGuessingChance: Double {
            let windows = (366 * 86_400 / guessingWindow).rounded(.up) + 1
            return min(1, Double(failuresPerWindow) * windows / pow(10, Double(digits)))
        }
    }

    let settings: Settings
    let codes: any VerificationCodeStore
    let clock: any WallClock

    public init(settings: Settings, codes: any VerificationCodeStore, clock: any WallClock) {
        self.settings = settings
        self.codes = codes
        self.clock = clock
    }

    public func challenge(_ request: RightRequest, to recipient: SubjectIdentity?, notice: String?, texts: TextCatalogue) throws
        -> Challenge
    {
        var generator = SystemRandomNumberGenerator()
        let code = (0..<settings.digits).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let stored = StoredCode(
            request: request.id,
            salt: salt,
            hash: Self.digest(code, salt: salt),
            expiresAt: clock.now.addingTimeInterval(settings.codeLifetime),
            attempts: 0,
            maxAttempts: settings.maxAttempts,
            consumed: false
        )
        let minutes = Int(settings.codeLifetime / 60)
        let filedBy =
            request.requester == .subject ? "" : texts.said(to: request, "message.code.filedBy", ["requester": request.requester.rawValue])
        let message = recipient.map { recipient in
            OutboundMessage(
                kind: .verificationCode,
                recipient: recipient,
                title: texts.said(to: request, "message.code.title", ["right": texts.rightName(of: request)]),
                body: texts.said(
                    to: request,
                    "message.code.body", ["filedBy": filedBy, "code": code, "minutes": "\(minutes)", "id": "\(request.id)"])
                    + (notice.map { "\n\n" + $0 } ?? ""),
                request: request.id
            )
        }
        return Challenge(code: stored, message: message)
    }

    public func verify(_ read: RequestUnderVerification, response: String) async throws -> VerificationResult {
        let candidate = response.trimmingCharacters(in: .whitespaces)
        guard candidate.count == settings.digits, candidate.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .malformed }
        guard let code = read.code else { return .noChallenge }
        let budget = GuessingBudget(person: read.request.quotaKey, failures: settings.failuresPerWindow, window: settings.guessingWindow)
        switch try await codes.attempt(code, at: clock.now, budget: budget, digest: { salt in Self.digest(candidate, salt: salt) }) {
        case .matched: return .verified
        case .mismatched(let attempts, let maxAttempts, let guessesLeft):
            return attempts >= maxAttempts
                ? .locked(guessesLeft: guessesLeft) : .rejected(remaining: maxAttempts - attempts, guessesLeft: guessesLeft)
        case .budgetSpent(let retryAfter): return .guessingBudgetSpent(retryAfter: retryAfter)
        case .exhausted: return .locked(guessesLeft: nil)
        case .expired: return .expired
        case .used: return .alreadyUsed
        case .none: return .noChallenge
        }
    }

    public func passedChallenges() async throws -> [RequestID] {
        try await codes.consumedCodes()
    }

    static func digest(_ code: String, salt: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Data(code.utf8))
        return Array(hasher.finalize())
    }

}

extension OneTimeCodeVerifier {
    /// The code a verification message carries (its first run of four or more digits), for the
    /// tools that read the outbox on a subject's behalf: `demo run`, `bench`, the tests.
    package static func code(in body: String) -> String? {
        body.split(whereSeparator: { !$0.isNumber }).first { $0.count >= 4 }.map(String.init)
    }
}
