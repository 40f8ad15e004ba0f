public import Foundation
public import RightsKernel

extension LedgerStore: VerificationCodeStore {
    /// Replaces the request's code inside the caller's transaction; the attempts already spent
    /// on earlier codes of the request still count (one budget per request).
    static func replaceCodeStatement(_ code: StoredCode) -> SQLStatement {
        """
        INSERT INTO verification_codes (request_id, salt, hash, expires_at, attempts, max_attempts, consumed)
        VALUES (\(code.request.rawValue), \(Data(code.salt)), \(Data(code.hash)), \(code.expiresAt.sqlSeconds), \(code.attempts),
                \(code.maxAttempts), \(false))
        ON CONFLICT (request_id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, expires_at = excluded.expires_at,
            max_attempts = excluded.max_attempts, consumed = excluded.consumed
        """
    }

    public func code(for request: RequestID) async throws -> StoredCode? {
        try await run(
            """
            SELECT salt, hash, expires_at, attempts, max_attempts, consumed FROM verification_codes WHERE request_id = \(request.rawValue)
            """
        ).first.map { row in
            StoredCode(
                request: request, salt: Array(try row.decode("salt", as: Data.self)), hash: Array(try row.decode("hash", as: Data.self)),
                expiresAt: Date(timeIntervalSince1970: try row.decode("expires_at")), attempts: try row.decode("attempts"),
                maxAttempts: try row.decode("max_attempts"), consumed: try row.decode("consumed"))
        }
    }

    /// Counts and checks one answer in one transaction, under a lock on the person's budget
    /// where writers run side by side: the budget is read with the code, a spent one checks
    /// nothing, and a wrong answer is recorded against it before the lock goes, so concurrent
    /// guessers cannot overrun it.
    public func attempt(_ request: RequestID, at time: Date, budget: GuessingBudget, digest: @escaping @Sendable ([UInt8]) -> [UInt8])
        async throws -> CodeAttempt
    {
        let now = time.sqlSeconds
        let person = budget.person.rawValue
        let failed = IntakeQuota.Action.failedAnswer.rawValue
        let since = now - budget.window
        return try await transaction { connection -> CodeAttempt in
            if let lock = self.dialect.lockStatement(.text(person)) { try await connection.query(lock) }
            guard
                let row = try await connection.query(
                    """
                    SELECT salt, hash, attempts, max_attempts, expires_at, consumed,
                        (SELECT COUNT(*) FROM intake_events WHERE key = \(person) AND action = \(failed) AND at > \(since)) AS failures,
                        (SELECT MIN(at) FROM intake_events WHERE key = \(person) AND action = \(failed) AND at > \(since)) AS oldest
                    FROM verification_codes WHERE request_id = \(request.rawValue)
                    """
                ).first
            else { return .none }
            let salt: Data = try row.decode("salt")
            if try row.decode("consumed", as: Bool.self) {
                // Only the right code learns that it was used (and may finish a move a dead
                // process left undone); any other answer finds no code outstanding.
                let hash: Data = try row.decode("hash")
                return Data(digest(Array(salt))) == hash ? .used : .none
            }
            let failures: Int = try row.decode("failures")
            if failures >= budget.failures {
                let oldest = try row.decode("oldest", as: Double?.self) ?? now
                return .budgetSpent(retryAfter: Date(timeIntervalSince1970: oldest + budget.window))
            }
            if try row.decode("attempts", as: Int.self) >= row.decode("max_attempts", as: Int.self) { return .exhausted }
            if try row.decode("expires_at", as: Double.self) <= now { return .expired }
            let candidate = Data(digest(Array(salt)))
            // The statement repeats the checks above, so two processes checking at once cannot
            // both consume the code.
            guard
                let result = try await connection.query(
                    """
                    UPDATE verification_codes SET attempts = attempts + 1, consumed = (hash = \(candidate))
                    WHERE request_id = \(request.rawValue) AND salt = \(salt) AND consumed = \(false) AND attempts < max_attempts
                      AND expires_at > \(now)
                    RETURNING consumed, attempts, max_attempts
                    """
                ).first
            else { return .used }
            if try result.decode("consumed", as: Bool.self) { return .matched }
            try await connection.query("INSERT INTO intake_events (key, action, at) VALUES (\(person), \(failed), \(now))")
            return .mismatched(
                attempts: try result.decode("attempts"), maxAttempts: try result.decode("max_attempts"),
                guessesLeft: budget.failures - failures - 1)
        }
    }

    public func consumedCodes() async throws -> [RequestID] {
        try await run("SELECT request_id FROM verification_codes WHERE consumed = \(true)").compactMap {
            RequestID(try $0.decode("request_id", as: String.self))
        }
    }
}
