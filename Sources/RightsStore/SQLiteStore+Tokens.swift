import Crypto
import Foundation
import GRDB
import RightsKernel

/// What an operator's token lets its holder do through `rightskit serve`.
public enum OperatorRole: String, Codable, Sendable, CaseIterable {
    /// Works the queue: reads requests with their personal data, approves, denies, extends,
    /// routes to review, manages holds, announces discontinuations, reads the outbox.
    case `operator`
    /// Decides: reads a request, approves, denies, routes to review; nothing else.
    case reviewer
    /// Reads only: the audit chain and requests without personal data.
    case auditor
}

/// A bearer token as the ledger keeps it: a name, a role and the SHA-256 of the secret, which
/// is shown once, when the token is created.
public struct OperatorToken: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var role: OperatorRole
    public var createdAt: Date
    public var revokedAt: Date?
}

/// Why a token could not be created or revoked.
public struct OperatorTokenError: Error, CustomStringConvertible {
    public let description: String
}

extension SQLiteStore {
    /// Creates a token for `name` with `role` and returns it with its secret; the ledger keeps
    /// only the secret's hash. A name has at most one live token.
    public func createToken(name: String, role: OperatorRole) async throws -> (token: OperatorToken, secret: String) {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
            throw OperatorTokenError(description: "a token name is 1 to 64 letters, digits, '.', '_', '-' or '@'")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = "rk_" + Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64URLEncoded
        let time = clock.now
        do {
            let id = try await database.write { db -> Int64 in
                try db.execute(sql: "INSERT INTO operator_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)", arguments: [name, role.rawValue, Self.tokenHash(secret), time.timeIntervalSince1970])
                let id = db.lastInsertedRowID
                // Who may act through the API is itself on the record, in the same transaction.
                try self.appendAudit(AuditEvent(actor: "system", action: "token.created", details: ["token": "\(id)", "name": name, "role": role.rawValue]), at: time, in: db)
                return id
            }
            return (OperatorToken(id: id, name: name, role: role, createdAt: time, revokedAt: nil), secret)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw OperatorTokenError(description: "'\(name)' already has a live token; revoke it first")
        }
    }

    /// Every token, live and revoked, oldest first.
    public func tokens() async throws -> [OperatorToken] {
        try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM operator_tokens ORDER BY id").map(Self.token) }
    }

    /// Revokes the live token of `name`; false when there is none.
    public func revokeToken(name: String) async throws -> Bool {
        let now = clock.now
        return try await database.write { db in
            try db.execute(sql: "UPDATE operator_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [now.timeIntervalSince1970, name])
            guard db.changesCount > 0 else { return false }
            try self.appendAudit(AuditEvent(actor: "system", action: "token.revoked", details: ["name": name]), at: now, in: db)
            return true
        }
    }

    /// The live token whose secret is `secret`, if any.
    public func token(secret: String) async throws -> OperatorToken? {
        guard secret.count <= 200 else { return nil }
        let hash = Self.tokenHash(secret)
        return try await database.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM operator_tokens WHERE token_hash = ? AND revoked_at IS NULL"), arguments: [hash]).map(Self.token)
        }
    }

    private static func tokenHash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }

    private static func token(_ row: Row) throws -> OperatorToken {
        let role: String = row["role"]
        guard let parsed = OperatorRole(rawValue: role) else { throw OperatorTokenError(description: "unknown role '\(role)' in the ledger") }
        let revoked: Double? = row["revoked_at"]
        return OperatorToken(id: row["id"], name: row["name"], role: parsed, createdAt: Date(timeIntervalSince1970: row["created_at"]), revokedAt: revoked.map(Date.init(timeIntervalSince1970:)))
    }
}

extension Data {
    /// Base64 with the URL-safe alphabet and no padding.
    package var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
