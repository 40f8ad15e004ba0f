import Foundation
import RightsKernel

extension LedgerStore {
    public func insertToken(name: String, role: OperatorRole, hash: String) async throws -> OperatorToken {
        let time = clock.now
        let token: OperatorToken
        do {
            token = try await transaction { connection in
                guard
                    let id = try await connection.query(
                        """
                        INSERT INTO operator_tokens (name, role, token_hash, created_at) VALUES (\(name), \(role.rawValue), \(hash), \(time.sqlSeconds))
                        RETURNING id
                        """
                    ).first?.decode("id", as: Int64.self)
                else { throw StoreError.nothingReturned("operator_tokens") }
                // Who may act through the API is itself on the record, in the same transaction.
                try await self.appendAudit([.tokenCreated(id: id, name: name, role: role)], at: time, on: connection)
                return OperatorToken(id: id, name: name, role: role, createdAt: time, revokedAt: nil)
            }
        } catch is UniqueConstraintViolation {
            throw OperatorTokenError.liveTokenExists(name)
        }
        auditAppended()
        return token
    }

    public func tokens() async throws -> [OperatorToken] {
        try await run("SELECT id, name, role, created_at, revoked_at FROM operator_tokens ORDER BY id").map(Self.token)
    }

    public func revokeToken(name: String) async throws -> Bool {
        let time = clock.now
        let revoked = try await transaction { connection -> Bool in
            let revoked = try await !connection.query(
                """
                UPDATE operator_tokens SET revoked_at = \(time.sqlSeconds) WHERE name = \(name) AND revoked_at IS NULL RETURNING 1 AS revoked
                """
            ).isEmpty
            if revoked { try await self.appendAudit([.tokenRevoked(name: name)], at: time, on: connection) }
            return revoked
        }
        auditAppended()
        return revoked
    }

    public func token(hash: String) async throws -> OperatorToken? {
        try await run(
            "SELECT id, name, role, created_at, revoked_at FROM operator_tokens WHERE token_hash = \(hash) AND revoked_at IS NULL"
        ).first.map(Self.token)
    }

    private static func token(_ row: SQLRow) throws -> OperatorToken {
        OperatorToken(
            id: try row.decode("id"), name: try row.decode("name"), role: try OperatorRole(stored: try row.decode("role")),
            createdAt: Date(timeIntervalSince1970: try row.decode("created_at")),
            revokedAt: try row.decode("revoked_at", as: Double?.self).map(Date.init(timeIntervalSince1970:)))
    }
}
