import Foundation
import Logging
import PostgresNIO

/// A connection pool to the PostgreSQL database that holds a deployment's ledger, running for
/// as long as this object lives; opening it applies the ledger's migrations.
public final class PostgresLedger: Sendable {
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>

    /// Connects to `location` and brings its schema up to date.
    public init(location: PostgresLocation, logger: Logger) async throws {
        let client = PostgresClient(configuration: try location.configuration(), backgroundLogger: logger)
        self.client = client
        self.logger = logger
        running = Task { await client.run() }
        do {
            try await PostgresMigrator(migrations: PostgresLedgerSchema.migrations).migrate(client, logger: logger)
        } catch {
            running.cancel()
            throw error
        }
    }

    /// The schema versions applied, in order.
    public func appliedMigrations() async throws -> [Int] {
        var versions: [Int] = []
        for try await version in try await client.query("SELECT version FROM rightskit_migrations ORDER BY version", logger: logger).decode(Int.self) {
            versions.append(version)
        }
        return versions
    }

    /// Whether the database answers.
    public func isReachable() async -> Bool {
        (try? await client.query("SELECT 1", logger: logger)) != nil
    }

    /// Closes the pool.
    public func close() async {
        running.cancel()
        _ = await running.result
    }

    deinit { running.cancel() }
}
