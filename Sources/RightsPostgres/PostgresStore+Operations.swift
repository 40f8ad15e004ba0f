public import Foundation
import PostgresNIO
public import RightsKernel
public import RightsStore

extension PostgresStore: OperationsStore {
    public func insertToken(name: String, role: OperatorRole, hash: String) async throws -> OperatorToken {
        let time = clock.now
        do {
            return try await transaction { connection in
                guard
                    let id = try await connection.query(
                        """
                        INSERT INTO operator_tokens (name, role, token_hash, created_at) VALUES (\(name), \(role.rawValue), \(hash), \(time.timeIntervalSince1970))
                        RETURNING id
                        """, logger: logger
                    ).decode(Int64.self).collect().first
                else { throw PostgresStoreError.nothingReturned("operator_tokens") }
                // Who may act through the API is itself on the record, in the same transaction.
                try await appendAudit([.tokenCreated(id: id, name: name, role: role)], on: connection)
                return OperatorToken(id: id, name: name, role: role, createdAt: time, revokedAt: nil)
            }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw OperatorTokenError.liveTokenExists(name)
        }
    }

    public func tokens() async throws -> [OperatorToken] {
        try await run("SELECT id, name, role, created_at, revoked_at FROM operator_tokens ORDER BY id")
            .decode((Int64, String, String, Double, Double?).self).collect().map(Self.token)
    }

    public func revokeToken(name: String) async throws -> Bool {
        let now = clock.now.timeIntervalSince1970
        return try await transaction { connection in
            let revoked = try await connection.query(
                """
                UPDATE operator_tokens SET revoked_at = \(now) WHERE name = \(name) AND revoked_at IS NULL RETURNING 1
                """, logger: logger
            ).hasRows()
            if revoked { try await appendAudit([.tokenRevoked(name: name)], on: connection) }
            return revoked
        }
    }

    public func token(hash: String) async throws -> OperatorToken? {
        try await run(
            "SELECT id, name, role, created_at, revoked_at FROM operator_tokens WHERE token_hash = \(hash) AND revoked_at IS NULL"
        )
        .decode((Int64, String, String, Double, Double?).self).collect().first.map(Self.token)
    }

    private static func token(_ row: (Int64, String, String, Double, Double?)) throws -> OperatorToken {
        OperatorToken(
            id: row.0, name: row.1, role: try OperatorRole(stored: row.2), createdAt: Date(timeIntervalSince1970: row.3),
            revokedAt: row.4.map(Date.init(timeIntervalSince1970:)))
    }

    /// Each notice goes out once however many instances run reminders: the row that records it
    /// is inserted with the message and its audit entry, or not at all.
    public func sendOnce(_ kind: DeadlineNotice, about request: RequestID, message: OutboundMessage, event: AuditEvent) async throws -> Bool
    {
        let now = clock.now.timeIntervalSince1970
        return try await transaction { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO deadline_notices (request_id, kind, sent_at) VALUES (\(request.rawValue), \(kind.rawValue), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).hasRows()
            guard inserted else { return false }
            try await enqueue([message], at: now, on: connection)
            try await appendAudit([event], on: connection)
            return true
        }
    }

    public func sent(_ kind: DeadlineNotice, about request: RequestID) async throws -> Bool {
        try await run("SELECT 1 FROM deadline_notices WHERE request_id = \(request.rawValue) AND kind = \(kind.rawValue)").hasRows()
    }

    public func requestCounts() async throws -> [(right: String, state: String, count: Int)] {
        try await run("SELECT \"right\", state, COUNT(*) FROM requests GROUP BY \"right\", state").decode((String, String, Int).self)
            .collect()
            .map { (right: $0.0, state: $0.1, count: $0.2) }
    }

    public func overdueCount(at time: Date) async throws -> Int {
        let open = RequestState.allCases.filter { !$0.isFinal }.map(\.rawValue)
        return try await run("SELECT COUNT(*) FROM requests WHERE due_at < \(time.timeIntervalSince1970) AND state = ANY(\(open))")
            .decode(Int.self).collect().first ?? 0
    }

    public func isReachable() async -> Bool {
        (try? await run("SELECT 1").hasRows()) == true
    }
}
