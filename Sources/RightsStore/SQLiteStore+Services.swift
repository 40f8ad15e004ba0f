import Logging
import RightsKernel

extension SQLiteStore {
    /// The kernel services backed by this store: ledger, audit, holds and outbox here, one-time
    /// codes on top of them, and `data` as given.
    public func services(
        identity settings: OneTimeCodeVerifier.Settings,
        data: any PersonalDataService = NoPersonalData(),
        logger: Logger
    ) -> Services {
        Services(
            ledger: self,
            data: data,
            audit: self,
            exceptions: self,
            identity: OneTimeCodeVerifier(settings: settings, codes: self, notifier: self, clock: clock),
            notifier: self,
            clock: clock,
            logger: logger
        )
    }

    /// The services a deployment describes: its data map (checked against the real schemas,
    /// so a mismatch is a load error) over this store.
    public func services(for settings: DeploymentSettings, logger: Logger, statementLog: StatementLog? = nil) throws -> Services {
        let data: any PersonalDataService = try settings.dataMap.map { try SQLiteDataService(map: $0, statementLog: statementLog) } ?? NoPersonalData()
        return services(identity: settings.identity, data: data, logger: logger)
    }
}
