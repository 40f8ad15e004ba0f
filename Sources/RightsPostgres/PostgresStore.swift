import Foundation
public import Logging
import PostgresNIO
public import RightsKernel
import RightsStore

/// The ledger in a PostgreSQL database that any number of `rightskit serve` instances share:
/// requests with their versions and claims, the step journal, the audit chain, holds, codes, the
/// outbox, intake quotas, operators' tokens and deadline notices, with the SQLite store's
/// guarantees. Changes are conditional on the version they were made from; claims on work and on
/// messages are taken with `FOR UPDATE SKIP LOCKED`; the audit chain is appended under a lock on
/// its head row, so it stays one chain whichever instance writes.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    public let clock: any WallClock
    let subjectSecret: Data
    let linking = AuditLinking()
    private let running: Task<Void, Never>

    /// Connects to `location`, brings its schema up to date and reads the subject-key secret from
    /// `keysFolder` (created on first use; every instance must share it, as they share the
    /// database).
    public init(location: PostgresLocation, keysFolder: String, clock: any WallClock = SystemClock(), logger given: Logger) async throws {
        let logger = given.forDatabaseDriver
        let client = PostgresClient(configuration: try location.configuration(), backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.clock = clock
        running = Task { await client.run() }
        do {
            subjectSecret = try PrivateFiles.sharedSecret(
                at: URL(fileURLWithPath: keysFolder).appendingPathComponent("subject-key.secret").path)
            try await Self.migrate(client, location: location, logger: logger)
        } catch {
            running.cancel()
            throw error
        }
    }

    /// Opens one connection first, so a database that is down, unknown or refuses the login is
    /// a clear error at once (the pool would retry for ever), then applies the migrations.
    private static func migrate(_ client: PostgresClient, location: PostgresLocation, logger: Logger) async throws {
        try await probe(location, logger: logger)
        try await PostgresMigrator(migrations: PostgresLedgerSchema.migrations).migrate(client, logger: logger)
    }

    /// Opens and closes one connection: ``PostgresStoreUnreachable`` with the server's reason
    /// when the database is down, unknown or refuses the login.
    static func probe(_ location: PostgresLocation, logger given: Logger) async throws {
        let logger = given.forDatabaseDriver
        let configuration = try location.connectionConfiguration()
        do {
            let probe = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await probe.close()
        } catch let error as PSQLError {
            // The server's own message (no such database, login refused) names no secret.
            throw PostgresStoreUnreachable(location: location, reason: error.serverInfo?[.message] ?? "\(error.code)")
        }
    }

    /// The schema versions applied, in order.
    public func appliedMigrations() async throws -> [Int] {
        try await client.query("SELECT version FROM rightskit_migrations ORDER BY version", logger: logger).decode(Int.self).collect()
    }

    /// Closes the pool.
    public func close() async {
        running.cancel()
        _ = await running.result
    }

    deinit { running.cancel() }

    /// Runs `body` in one transaction, rethrowing its own error (a conflict, a quota) rather
    /// than the driver's wrapper.
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    /// Runs one statement on its own.
    @discardableResult
    func run(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await client.query(query, logger: logger)
    }
}

extension PostgresRowSequence {
    /// Whether the statement returned any row (`… RETURNING 1` for "did it apply").
    func hasRows() async throws -> Bool {
        for try await _ in self { return true }
        return false
    }
}

extension AsyncSequence where Self: Sendable {
    /// Every element, in order.
    func collect() async throws -> [Element] {
        var all: [Element] = []
        for try await element in self { all.append(element) }
        return all
    }
}

extension PSQLError {
    /// The server's SQLSTATE, such as 23505 for a unique violation.
    var sqlState: String? { serverInfo?[.sqlState] }
}

/// The database named by `services.store.url` could not be reached or refused the login; says
/// where, never with a password.
public struct PostgresStoreUnreachable: Error, CustomStringConvertible {
    public let location: PostgresLocation
    public let reason: String

    public var description: String {
        "cannot open the PostgreSQL ledger at \(location.host):\(location.port)/\(location.database) as \(location.user): \(reason)"
    }
}
