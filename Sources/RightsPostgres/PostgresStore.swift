import Foundation
public import Logging
import PostgresNIO
public import RightsKernel
public import RightsStorage

/// The ledger in a PostgreSQL database that any number of `rightskit serve` instances share:
/// the storage core's ``LedgerStore`` over this driver's executor, with the same guarantees as
/// on SQLite. The name stays for the call sites that open a PostgreSQL ledger.
public typealias PostgresStore = LedgerStore

extension LedgerStore {
    /// Connects to `location`, brings its schema up to date and reads the subject-key secret from
    /// `keysFolder` (created on first use; every instance must share it, as they share the
    /// database).
    public convenience init(location: PostgresLocation, keysFolder: String, clock: any WallClock = SystemClock(), logger given: Logger)
        async throws
    {
        let logger = given.forDatabaseDriver
        let executor = PostgresExecutor(
            client: PostgresClient(configuration: try location.configuration(), backgroundLogger: logger), logger: logger)
        let secret: Data
        do {
            secret = try PrivateFiles.sharedSecret(at: URL(fileURLWithPath: keysFolder).appendingPathComponent("subject-key.secret").path)
            try await Self.probe(location, logger: logger)
            try await PostgresMigrator(migrations: PostgresLedgerSchema.migrations).migrate(executor.client, logger: logger)
        } catch {
            await executor.close()
            throw error
        }
        self.init(executor: executor, clock: clock, subjectSecret: secret)
        try await hashRecipientsOfEarlierMessages()
    }

    /// Opens and closes one connection: ``PostgresStoreUnreachable`` with the server's reason
    /// when the database is down, unknown or refuses the login (the pool alone would retry for ever).
    package static func probe(_ location: PostgresLocation, logger given: Logger) async throws {
        let logger = given.forDatabaseDriver
        let configuration = try location.connectionConfiguration()
        do {
            let probe = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await probe.close()
        } catch let error as PSQLError {
            // The server's own message (no such database, login refused) names no secret.
            throw PostgresStoreUnreachable(location: location, reason: PostgresLocation.reason(error))
        }
    }

    /// The PostgreSQL executor under this store, when it is on PostgreSQL.
    var postgres: PostgresExecutor? { executor as? PostgresExecutor }

    /// The schema versions applied, in order.
    public func appliedMigrations() async throws -> [Int] {
        try await run("SELECT version FROM rightskit_migrations ORDER BY version").map { try $0.decode("version") }
    }
}

/// The database named by `services.store.url` could not be reached or refused the login; says
/// where, never with a password.
public struct PostgresStoreUnreachable: Error, CustomStringConvertible {
    public let location: PostgresLocation?
    public let reason: String

    package init(location: PostgresLocation? = nil, reason: String) {
        self.location = location
        self.reason = reason
    }

    public var description: String {
        guard let location else { return "cannot open the PostgreSQL ledger: \(reason)" }
        return
            "cannot open the PostgreSQL ledger at \(location.host):\(location.port)/\(location.database) as \(location.user): \(reason)"
    }
}
