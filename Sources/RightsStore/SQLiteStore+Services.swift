import Foundation
public import Logging
public import RightsKernel

/// A deployment loaded over its own SQLite store, with the store kept for what only it offers
/// (the outbox, checkpoints).
public struct StoredDeployment: Sendable {
    public let deployment: Deployment
    public let store: SQLiteStore

    /// Loads `path`, opening the store it names; configuration and schema mistakes throw
    /// ``ConfigErrors`` with their locations.
    public init(
        path: String, registry: ModuleRegistry, clock: any WallClock = SystemClock(), http: any OutboundHTTP = NoOutboundHTTP(),
        exports: any ExportFormats = NoExportFormats(), logger: Logger, statementLog: StatementLog? = nil
    ) throws {
        var opened: SQLiteStore?
        deployment = try Deployment.load(path: path, registry: registry) { settings in
            let store = try SQLiteStore(path: settings.store.path, clock: clock)
            opened = store
            return try store.services(for: settings, http: http, exports: exports, logger: logger, statementLog: statementLog)
        }
        guard let opened else { throw StoreError.notOpened(path) }
        store = opened
    }
}
