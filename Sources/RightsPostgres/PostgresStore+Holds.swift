public import Foundation
import PostgresNIO
public import RightsKernel
import RightsStore

extension PostgresStore: ExceptionChecks {
    public func activeHolds(for subject: SubjectKey, at time: Date) async throws -> [Hold] {
        try await run(
            """
            SELECT id, subject_key, category, ground_code, ground_explanation, authority, expires_at, created_at FROM holds
            WHERE (subject_key = \(subject.rawValue) OR subject_key IS NULL) AND (expires_at IS NULL OR expires_at > \(time.timeIntervalSince1970))
            ORDER BY id
            """
        ).decode(Self.HoldRow.self).collect().map(Self.hold)
    }

    /// Placing a hold waits for moves into work already checking the holds, and every later one
    /// sees it (``holdsLock``).
    public func addHold(_ hold: Hold) async throws -> Hold {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.holdsLock))", logger: logger)
            guard
                let id = try await connection.query(
                    """
                    INSERT INTO holds (subject_key, category, ground_code, ground_explanation, authority, expires_at, created_at)
                    VALUES (\(hold.subject?.rawValue), \(hold.category?.name), \(hold.ground.code), \(hold.ground.explanation), \(hold.authority),
                            \(hold.expiresAt?.timeIntervalSince1970), \(hold.createdAt.timeIntervalSince1970))
                    RETURNING id
                    """, logger: logger
                ).decode(Int64.self).collect().first
            else { throw PostgresStoreError.nothingReturned("holds") }
            var saved = hold
            saved.id = id
            try await appendAudit([.holdAdded(saved)], on: connection)
            return saved
        }
    }

    public func removeHold(id: Int64, at time: Date) async throws -> Bool {
        let now = time.timeIntervalSince1970
        return try await transaction { connection in
            // Lifting sets the expiry to now, so the hold's history stays readable.
            let lifted = try await connection.query(
                """
                UPDATE holds SET expires_at = \(now) WHERE id = \(id) AND (expires_at IS NULL OR expires_at > \(now)) RETURNING 1
                """, logger: logger
            ).hasRows()
            if lifted { try await appendAudit([.holdLifted(id: id)], on: connection) }
            return lifted
        }
    }

    public func holds() async throws -> [Hold] {
        try await run(
            """
            SELECT id, subject_key, category, ground_code, ground_explanation, authority, expires_at, created_at FROM holds ORDER BY id
            """
        ).decode(Self.HoldRow.self).collect().map(Self.hold)
    }

    typealias HoldRow = (Int64, String?, String?, String, String, String, Double?, Double)

    static func hold(_ row: HoldRow) -> Hold {
        Hold(
            id: row.0,
            subject: row.1.map(SubjectKey.init(rawValue:)),
            category: row.2.map { DataCategory($0) },
            ground: DenialGround.kernel(row.3) ?? DenialGround(code: row.3, explanation: row.4),
            authority: row.5,
            expiresAt: row.6.map { Date(timeIntervalSince1970: $0) },
            createdAt: Date(timeIntervalSince1970: row.7)
        )
    }
}
