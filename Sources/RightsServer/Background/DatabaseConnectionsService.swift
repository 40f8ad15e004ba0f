import Logging
import RightsStorage
import ServiceLifecycle

/// The ledger's and the connectors' connection pools as a service of the server's group: it
/// waits for the graceful shutdown and then closes them, so the statements of requests still in
/// flight finish on open connections and no pool is cut mid-transaction.
struct DatabaseConnectionsService: Service {
    let databases: [any DatabaseConnections]
    let logger: Logger

    func run() async throws {
        // Until the group shuts down gracefully (or is cancelled): then close, in either case.
        try? await gracefulShutdown()
        for database in databases { await database.close() }
        logger.info("database connections closed", metadata: ["databases": "\(databases.count)"])
    }
}
