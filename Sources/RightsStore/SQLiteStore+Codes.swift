import Foundation
import GRDB
import RightsKernel

extension SQLiteStore: VerificationCodeStore {
    public func saveCode(_ code: StoredCode) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO verification_codes (request_id, salt, hash, expires_at, attempts, max_attempts, consumed)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [code.request.rawValue, Data(code.salt), Data(code.hash), code.expiresAt.timeIntervalSince1970,
                            code.attempts, code.maxAttempts, code.consumed]
            )
        }
    }

    public func code(for request: RequestID) async throws -> StoredCode? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM verification_codes WHERE request_id = ?", arguments: [request.rawValue]).map { row in
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

    public func recordFailedAttempt(for request: RequestID) async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "UPDATE verification_codes SET attempts = attempts + 1 WHERE request_id = ?", arguments: [request.rawValue])
            return try Int.fetchOne(db, sql: "SELECT attempts FROM verification_codes WHERE request_id = ?", arguments: [request.rawValue]) ?? 0
        }
    }

    public func consumeCode(for request: RequestID) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE verification_codes SET consumed = 1 WHERE request_id = ?", arguments: [request.rawValue])
        }
    }
}
