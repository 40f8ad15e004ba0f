public import Foundation
public import RightsKernel

extension LedgerStore: VerificationCodeStore {
    /// The columns of a request's row that hold its outstanding code.
    static let codeColumns = "code_salt, code_hash, code_expires_at, code_attempts, code_max_attempts, code_consumed"

    /// The assignments that give a request its code (a new one, or a resend's replacement); the
    /// attempts already spent on earlier codes of the request still count (one budget per request).
    static func codeAssignments(_ code: StoredCode) -> SQLStatement {
        """
        code_salt = \(Data(code.salt)), code_hash = \(Data(code.hash)), code_expires_at = \(code.expiresAt.sqlSeconds),
            code_max_attempts = \(code.maxAttempts), code_consumed = \(false)
        """
    }

    /// The assignments that clear a request's code once it has done its work.
    static let clearedCode: SQLStatement = "code_salt = NULL, code_hash = NULL, code_expires_at = NULL, code_consumed = \(false)"

    /// The code held in a row read with ``codeColumns``; nil when the request has none.
    static func storedCode(_ row: SQLRow, request: RequestID) throws -> StoredCode? {
        guard let salt = try row.decode("code_salt", as: Data?.self), let hash = try row.decode("code_hash", as: Data?.self),
            let expires = try row.decode("code_expires_at", as: Double?.self)
        else { return nil }
        return StoredCode(
            request: request, salt: Array(salt), hash: Array(hash), expiresAt: Date(timeIntervalSince1970: expires),
            attempts: try row.decode("code_attempts"), maxAttempts: try row.decode("code_max_attempts"),
            consumed: try row.decode("code_consumed"))
    }

    public func code(for request: RequestID) async throws -> StoredCode? {
        try await run("SELECT \(raw: Self.codeColumns) FROM requests WHERE id = \(request.rawValue)").first.flatMap {
            try Self.storedCode($0, request: request)
        }
    }

    /// Counts and checks one answer in one statement (one transaction with the wrong answer's
    /// record), under a lock on the person's budget where writers run side by side: the update
    /// applies only while the code is the one read, unconsumed, within its attempts and time,
    /// and the person's budget has room, so concurrent guessers cannot overrun it and of many
    /// right answers one consumes the code. Only when it does not apply is the code read again,
    /// to say why.
    public func attempt(_ code: StoredCode, at time: Date, budget: GuessingBudget, digest: @escaping @Sendable ([UInt8]) -> [UInt8])
        async throws -> CodeAttempt
    {
        // Only the right code learns that it was used (and may finish a move a dead process left
        // undone); any other answer finds no code outstanding.
        if code.consumed { return digest(code.salt) == code.hash ? .used : .none }
        let now = time.sqlSeconds
        let person = budget.person.rawValue
        let failed = IntakeQuota.Action.failedAnswer.rawValue
        let failures: SQLStatement =
            "(SELECT COUNT(*) FROM intake_events WHERE key = \(person) AND action = \(failed) AND at > \(now - budget.window))"
        return try await transaction { connection -> CodeAttempt in
            if let lock = self.dialect.lockStatement(.text(person)) { try await connection.query(lock) }
            var checking = code
            // At most twice: a code replaced since it was read (a resend) is checked as it now is.
            for _ in 0..<2 {
                if let result = try await connection.query(
                    """
                    UPDATE requests SET code_attempts = code_attempts + 1, code_consumed = (code_hash = \(Data(digest(checking.salt))))
                    WHERE id = \(checking.request.rawValue) AND code_salt = \(Data(checking.salt)) AND code_consumed = \(false)
                      AND code_attempts < code_max_attempts AND code_expires_at > \(now) AND \(failures) < \(budget.failures)
                    RETURNING code_consumed, code_attempts, code_max_attempts, \(failures) AS failures
                    """
                ).first {
                    if try result.decode("code_consumed", as: Bool.self) { return .matched }
                    try await connection.query("INSERT INTO intake_events (key, action, at) VALUES (\(person), \(failed), \(now))")
                    return .mismatched(
                        attempts: try result.decode("code_attempts"), maxAttempts: try result.decode("code_max_attempts"),
                        guessesLeft: budget.failures - (try result.decode("failures", as: Int.self)) - 1)
                }
                // Why it did not apply, in the order the checks are told.
                guard
                    let row = try await connection.query(
                        """
                        SELECT \(raw: Self.codeColumns), \(failures) AS failures,
                            (SELECT MIN(at) FROM intake_events WHERE key = \(person) AND action = \(failed) AND at > \(now - budget.window)) AS oldest
                        FROM requests WHERE id = \(checking.request.rawValue)
                        """
                    ).first,
                    let current = try Self.storedCode(row, request: checking.request)
                else { return .none }
                if current.consumed { return digest(current.salt) == current.hash ? .used : .none }
                if try row.decode("failures", as: Int.self) >= budget.failures {
                    let oldest = try row.decode("oldest", as: Double?.self) ?? now
                    return .budgetSpent(retryAfter: Date(timeIntervalSince1970: oldest + budget.window))
                }
                if current.attempts >= current.maxAttempts { return .exhausted }
                if current.expiresAt.sqlSeconds <= now { return .expired }
                guard current.salt != checking.salt else { return .none }
                checking = current
            }
            return .none
        }
    }

    public func consumedCodes() async throws -> [RequestID] {
        try await run("SELECT id FROM requests WHERE code_consumed = \(true)").compactMap {
            RequestID(try $0.decode("id", as: String.self))
        }
    }
}
