public import Foundation
import GRDB
public import RightsKernel

extension SQLiteStore: VerificationCodeStore {
    /// Replaces the request's code inside the caller's transaction; the attempts already spent
    /// on earlier codes of the request still count (one budget per request).
    static func replaceCode(_ code: StoredCode, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO verification_codes (request_id, salt, hash, expires_at, attempts, max_attempts, consumed)
                VALUES (?, ?, ?, ?, ?, ?, 0)
                ON CONFLICT (request_id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, expires_at = excluded.expires_at,
                    max_attempts = excluded.max_attempts, consumed = 0
                """
        ).execute(
            arguments: [
                code.request.rawValue, Data(code.salt), Data(code.hash), code.expiresAt.timeIntervalSince1970, code.attempts,
                code.maxAttempts,
            ]
        )
    }

    public func code(for request: RequestID) async throws -> StoredCode? {
        try await database.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM verification_codes WHERE request_id = ?"), arguments: [request.rawValue]
            ).map { row in
                StoredCode(
                    request: request,
                    salt: Array(row["salt"] as Data),
                    hash: Array(row["hash"] as Data),
                    expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
                    attempts: row["attempts"],
                    maxAttempts: row["max_attempts"],
                    consumed: row["consumed"]
                )
            }
        }
    }

    public func attempt(_ request: RequestID, at time: Date, digest: @Sendable ([UInt8]) -> [UInt8]) async throws -> CodeAttempt {
        try await database.write { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT salt, attempts, max_attempts, expires_at, consumed FROM verification_codes WHERE request_id = ?"),
                    arguments: [request.rawValue])
            else {
                return .none
            }
            if row["consumed"] as Bool { return .used }
            if (row["attempts"] as Int) >= (row["max_attempts"] as Int) { return .exhausted }
            if (row["expires_at"] as Double) <= time.timeIntervalSince1970 { return .expired }
            let salt: Data = row["salt"]
            let candidate = Data(digest(Array(salt)))
            // One statement counts the attempt and consumes the code when it matches; its
            // conditions repeat the checks above, so it is right even outside a transaction.
            guard
                let result = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            UPDATE verification_codes SET attempts = attempts + 1, consumed = (hash = ?)
                            WHERE request_id = ? AND salt = ? AND consumed = 0 AND attempts < max_attempts AND expires_at > ?
                            RETURNING consumed, attempts, max_attempts
                            """),
                    arguments: [candidate, request.rawValue, salt, time.timeIntervalSince1970]
                )
            else { return .used }
            if result["consumed"] as Bool { return .matched }
            return .mismatched(attempts: result["attempts"], maxAttempts: result["max_attempts"])
        }
    }

    public func consumedCodes() async throws -> [RequestID] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT request_id FROM verification_codes WHERE consumed = 1").compactMap(RequestID.init)
        }
    }
}
