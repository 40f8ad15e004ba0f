public import Foundation
import GRDB
package import RightsKernel

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

    package init(id: Int64, name: String, role: OperatorRole, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Why a token could not be created or revoked.
public struct OperatorTokenError: Error, CustomStringConvertible {
    public let description: String
}

extension SQLiteStore {
    public func insertToken(name: String, role: OperatorRole, hash: String) async throws -> OperatorToken {
        let time = clock.now
        do {
            let id = try await database.write { db -> Int64 in
                try db.execute(
                    sql: "INSERT INTO operator_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [name, role.rawValue, hash, time.timeIntervalSince1970])
                let id = db.lastInsertedRowID
                // Who may act through the API is itself on the record, in the same transaction.
                try self.appendAudit(.tokenCreated(id: id, name: name, role: role), at: time, in: db)
                return id
            }
            return OperatorToken(id: id, name: name, role: role, createdAt: time, revokedAt: nil)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw OperatorTokenError.liveTokenExists(name)
        }
    }

    public func tokens() async throws -> [OperatorToken] {
        try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM operator_tokens ORDER BY id").map(Self.token) }
    }

    public func revokeToken(name: String) async throws -> Bool {
        let now = clock.now
        return try await database.write { db in
            try db.execute(
                sql: "UPDATE operator_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                arguments: [now.timeIntervalSince1970, name])
            guard db.changesCount > 0 else { return false }
            try self.appendAudit(.tokenRevoked(name: name), at: now, in: db)
            return true
        }
    }

    public func token(hash: String) async throws -> OperatorToken? {
        try await database.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM operator_tokens WHERE token_hash = ? AND revoked_at IS NULL"), arguments: [hash]
            ).map(Self.token)
        }
    }

    private static func token(_ row: Row) throws -> OperatorToken {
        let revoked: Double? = row["revoked_at"]
        return OperatorToken(
            id: row["id"], name: row["name"], role: try OperatorRole(stored: row["role"]),
            createdAt: Date(timeIntervalSince1970: row["created_at"]), revokedAt: revoked.map(Date.init(timeIntervalSince1970:)))
    }
}

extension OperatorRole {
    /// A role as a store keeps it.
    package init(stored: String) throws {
        guard let role = OperatorRole(rawValue: stored) else {
            throw OperatorTokenError(description: "unknown role '\(stored)' in the ledger")
        }
        self = role
    }
}

extension OperatorTokenError {
    package static func liveTokenExists(_ name: String) -> OperatorTokenError {
        OperatorTokenError(description: "'\(name)' already has a live token; revoke it first")
    }
}

extension AuditEvent {
    /// A token made: its number, name and role, never its secret.
    package static func tokenCreated(id: Int64, name: String, role: OperatorRole) -> AuditEvent {
        AuditEvent(actor: "system", action: "token.created", details: ["token": "\(id)", "name": name, "role": role.rawValue])
    }

    package static func tokenRevoked(name: String) -> AuditEvent {
        AuditEvent(actor: "system", action: "token.revoked", details: ["name": name])
    }
}

extension Data {
    /// Base64 with the URL-safe alphabet and no padding.
    package var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
            of: "=", with: "")
    }
}
