package import Logging
package import RightsKernel
package import RightsStorage

/// The PostgreSQL driver: a ledger that several servers share, the organisation's databases
/// and a key vault in a database of its own, each a pool of postgres-nio connections.
package struct PostgresDriver: StorageDriver {
    package init() {}

    package var names: [StorageDriverName] { ["postgres", "postgresql"] }
    package var displayName: String { "PostgreSQL" }

    package func openLedger(_ settings: DeploymentSettings.StoreSettings, clock: any WallClock, logger: Logger) async throws -> LedgerStore
    {
        guard let url = settings.url else { throw settings.location.error("the postgres driver needs url, not path") }
        let location: PostgresLocation
        do {
            location = try PostgresLocation(url)
        } catch {
            throw settings.location.error("url: \(error.description)")
        }
        return try await LedgerStore(location: location, keysFolder: settings.keysFolder, clock: clock, logger: logger)
    }

    package func openDataSource(_ source: DataSourceMap, readOnly: Bool, logger: Logger) async throws -> any DataSourceExecutor {
        try await PostgresExecutor.dataSource(source, logger: logger)
    }

    package func openVault(at location: DatabaseLocation, key: ConfigLocation, checking: Bool, logger: Logger) async throws
        -> SubjectKeyVault
    {
        guard let url = location.url else { throw key.error("vault: the postgres driver needs url") }
        do {
            return try await SubjectKeyVault.postgres(try PostgresLocation(url), logger: logger, checking: checking)
        } catch let error as PostgresStoreUnreachable {
            throw key.error("vault: \(error.reason)")
        } catch let error as PostgresLocation.Invalid {
            throw key.error("vault: \(error.description)")
        }
    }
}
