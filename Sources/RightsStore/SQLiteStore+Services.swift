import Logging
import RightsKernel

extension SQLiteStore {
    /// The kernel services backed by this store: ledger, audit, holds and outbox here, one-time
    /// codes on top of them, and `data` as given (the data map is its own component).
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
}
