public import Foundation
import PostgresNIO
public import RightsKernel

extension PostgresStore: VerificationCodeStore {
    /// Replaces the request's code inside the caller's transaction; attempts already spent on
    /// earlier codes of the request still count (one budget per request).
    func replaceCode(_ code: StoredCode, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO verification_codes (request_id, salt, hash, expires_at, attempts, max_attempts, consumed)
            VALUES (\(code.request.rawValue), \(Data(code.salt)), \(Data(code.hash)), \(code.expiresAt.timeIntervalSince1970), \(code.attempts), \(code.maxAttempts), FALSE)
            ON CONFLICT (request_id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, expires_at = excluded.expires_at,
                max_attempts = excluded.max_attempts, consumed = FALSE
            """, logger: logger)
    }

    public func code(for request: RequestID) async throws -> StoredCode? {
        try await run(
            """
            SELECT salt, hash, expires_at, attempts, max_attempts, consumed FROM verification_codes WHERE request_id = \(request.rawValue)
            """
        ).decode((Data, Data, Double, Int, Int, Bool).self).collect().first.map { row in
            StoredCode(
                request: request, salt: Array(row.0), hash: Array(row.1), expiresAt: Date(timeIntervalSince1970: row.2),
                attempts: row.3, maxAttempts: row.4, consumed: row.5)
        }
    }

    public func attempt(_ request: RequestID, at time: Date, digest: @Sendable ([UInt8]) -> [UInt8]) async throws -> CodeAttempt {
        let now = time.timeIntervalSince1970
        guard
            let (salt, attempts, maxAttempts, expires, consumed) = try await run(
                """
                SELECT salt, attempts, max_attempts, expires_at, consumed FROM verification_codes WHERE request_id = \(request.rawValue)
                """
            ).decode((Data, Int, Int, Double, Bool).self).collect().first
        else { return .none }
        if consumed { return .used }
        if attempts >= maxAttempts { return .exhausted }
        if expires <= now { return .expired }
        let candidate = Data(digest(Array(salt)))
        // One statement counts the attempt and consumes the code when it matches; its conditions
        // repeat the checks above, so two instances checking at once cannot both consume it.
        guard
            let (matched, used, allowed) = try await run(
                """
                UPDATE verification_codes SET attempts = attempts + 1, consumed = (hash = \(candidate))
                WHERE request_id = \(request.rawValue) AND salt = \(salt) AND NOT consumed AND attempts < max_attempts AND expires_at > \(now)
                RETURNING consumed, attempts, max_attempts
                """
            ).decode((Bool, Int, Int).self).collect().first
        else { return .used }
        return matched ? .matched : .mismatched(attempts: used, maxAttempts: allowed)
    }

    public func consumedCodes() async throws -> [RequestID] {
        try await run("SELECT request_id FROM verification_codes WHERE consumed").decode(String.self).collect().compactMap(RequestID.init)
    }
}
