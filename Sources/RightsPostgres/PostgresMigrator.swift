import Logging
import PostgresNIO

/// One numbered schema change: its statements run in one transaction with the row that
/// records it, so a migration is applied whole or not at all.
struct PostgresMigration: Sendable {
    let version: Int
    let name: String
    let statements: [String]
}

/// Applies migrations in order, each once, however many processes start on one database at
/// once: they queue on a transaction-scoped advisory lock, and each applies only the versions
/// `rightskit_migrations` does not yet record.
struct PostgresMigrator: Sendable {
    /// The advisory lock's key: "RightsKit" in ASCII, so no other application's lock collides
    /// by accident.
    static let lockKey: Int64 = 0x5269_6768_7473_4B69

    let migrations: [PostgresMigration]

    /// The versions applied by this call (empty when the schema was current).
    @discardableResult
    func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS rightskit_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM rightskit_migrations", logger: logger).decode(Int.self)
            {
                applied.insert(version)
            }
            var done: [Int] = []
            for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO rightskit_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                done.append(migration.version)
            }
            return done
        }
    }
}
