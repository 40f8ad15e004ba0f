import Foundation
package import Logging
package import RightsKernel
package import RightsStorage

/// The embedded driver: the ledger, the organisation's databases and the key vault as SQLite
/// files (GRDB behind the storage core's executor).
package struct SQLiteDriver: StorageDriver {
    package init() {}

    package var names: [StorageDriverName] { [.embedded] }
    package var displayName: String { "SQLite" }

    package func openLedger(_ settings: DeploymentSettings.StoreSettings, clock: any WallClock, logger: Logger) async throws -> LedgerStore
    {
        try LedgerStore(path: settings.path, secretPath: settings.keysFolder + "/subject-key.secret", clock: clock)
    }

    package func openDataSource(_ source: DataSourceMap, readOnly: Bool, logger: Logger) async throws -> any DataSourceExecutor {
        try SQLiteExecutor.dataSource(source, readOnly: readOnly)
    }

    package func openVault(at location: DatabaseLocation, key: ConfigLocation, checking: Bool, logger: Logger) async throws
        -> SubjectKeyVault
    {
        try await SubjectKeyVault.sqlite(path: location.path, checking: checking, location: key)
    }
}
