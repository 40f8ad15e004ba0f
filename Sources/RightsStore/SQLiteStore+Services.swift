import Foundation
import Logging
import RightsKernel

extension SQLiteStore {
    /// The kernel services backed by this store: ledger, audit, holds and outbox here, one-time
    /// codes on top of them, and `data` as given.
    public func services(
        identity settings: OneTimeCodeVerifier.Settings,
        data: any PersonalDataService = NoPersonalData(),
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current,
        logger: Logger
    ) -> Services {
        Services(
            ledger: self,
            data: data,
            audit: self,
            exceptions: self,
            identity: OneTimeCodeVerifier(settings: settings, codes: self, clock: clock),
            notifier: self,
            clock: clock,
            timeZone: timeZone,
            logger: logger
        )
    }

    /// The services a deployment describes: its data map (checked against the real schemas,
    /// so a mismatch is a load error) over this store.
    public func services(for settings: DeploymentSettings, logger: Logger, statementLog: StatementLog? = nil, readOnly: Bool = false) throws -> Services {
        let data: any PersonalDataService = try settings.dataMap.map { try SQLiteDataService(map: $0, statementLog: statementLog, readOnly: readOnly) } ?? NoPersonalData()
        return services(identity: settings.identity, data: data, timeZone: settings.policy.deadline.timeZone, logger: logger)
    }
}

/// A deployment loaded over its own SQLite store, with the store kept for what only it offers
/// (the outbox, checkpoints).
public struct StoredDeployment: Sendable {
    public let deployment: Deployment
    public let store: SQLiteStore

    /// Loads `path`, opening the store it names; configuration and schema mistakes throw
    /// ``ConfigErrors`` with their locations.
    public init(path: String, registry: ModuleRegistry, clock: any WallClock = SystemClock(), logger: Logger, statementLog: StatementLog? = nil) throws {
        var opened: SQLiteStore?
        deployment = try Deployment.load(path: path, registry: registry) { settings in
            let store = try SQLiteStore(path: settings.store.path, clock: clock)
            opened = store
            return try store.services(for: settings, logger: logger, statementLog: statementLog)
        }
        guard let opened else { throw StoreError.notOpened(path) }
        store = opened
    }
}
