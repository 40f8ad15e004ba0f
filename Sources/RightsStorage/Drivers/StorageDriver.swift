package import Logging
package import RightsKernel

/// A database driver: what opens a ledger, one of the organisation's databases and a key
/// vault on the database it reaches. A composition root registers the drivers it ships in
/// ``StorageDrivers``, as it registers right modules; the kernel and the storage core name
/// none, so a third database is one new target (see `docs/writing-a-driver.md`).
package protocol StorageDriver: Sendable {
    /// The names a deployment uses for it: `driver: <name>`, or a URL's scheme.
    var names: [StorageDriverName] { get }
    /// Its name in messages ("SQLite").
    var displayName: String { get }
    /// The ledger at `settings`, its schema brought up to date.
    func openLedger(_ settings: DeploymentSettings.StoreSettings, clock: any WallClock, logger: Logger) async throws -> LedgerStore
    /// One of the organisation's databases; a database that is not there is a ``ConfigError``
    /// at the source.
    func openDataSource(_ source: DataSourceMap, readOnly: Bool, logger: Logger) async throws -> any DataSourceExecutor
    /// The key vault at `location`; `checking` creates nothing. A vault that cannot be opened
    /// is a ``ConfigError`` at `key` (the data map's `vault`).
    func openVault(at location: DatabaseLocation, key: ConfigLocation, checking: Bool, logger: Logger) async throws -> SubjectKeyVault
}

/// The drivers a composition root ships, by every name each answers to.
package struct StorageDrivers: Sendable {
    private let drivers: [StorageDriverName: any StorageDriver]

    package init(_ drivers: [any StorageDriver]) {
        var byName: [StorageDriverName: any StorageDriver] = [:]
        for driver in drivers {
            for name in driver.names { byName[name] = driver }
        }
        self.drivers = byName
    }

    /// Every registered name, sorted.
    package var names: [StorageDriverName] { drivers.keys.sorted() }

    /// The driver registered as `name`; an unknown name is a load error at `location` that lists
    /// the registered ones.
    package func driver(_ name: StorageDriverName, at location: ConfigLocation) throws(ConfigError) -> any StorageDriver {
        guard let driver = drivers[name] else {
            let known = names.map(\.rawValue)
            let hint = Spelling.closest(to: name.rawValue, in: known).map { "did you mean '\($0)'? " } ?? ""
            throw location.error("no database driver is registered as '\(name)'; \(hint)registered: \(known.joined(separator: ", "))")
        }
        return driver
    }

    /// The ledger a deployment's `services.store` names.
    package func openLedger(_ settings: DeploymentSettings.StoreSettings, at location: ConfigLocation, clock: any WallClock, logger: Logger)
        async throws -> LedgerStore
    {
        try await driver(settings.driver, at: location).openLedger(settings, clock: clock, logger: logger)
    }

    /// The data service over every source of `map`, each opened by its own driver and checked
    /// against its schema, with the key vault where the map keeps it; no map, no personal data.
    package func openData(_ map: DataMap?, logger: Logger, statementLog: StatementLog? = nil, readOnly: Bool = false) async throws
        -> any PersonalDataService
    {
        guard let map else { return NoPersonalData() }
        let vault = DatabaseLocation(driver: map.vaultURL?.driver ?? .embedded, path: map.vaultPath, url: map.vaultURL)
        let vaultKey = map.vaultLocation ?? map.location
        let vaultDriver = try driver(vault.driver, at: vaultKey)
        let names = Set(map.sources.map(\.driver))
        let connectorName = names.count == 1 ? (try? driver(map.sources[0].driver, at: map.location).displayName) ?? "data" : "data"
        return try await DataMapService.open(
            map: map, connectorName: connectorName, statementLog: statementLog,
            openSource: { source in
                try await driver(source.driver, at: source.location).openDataSource(source, readOnly: readOnly, logger: logger)
            },
            openVault: { try await vaultDriver.openVault(at: vault, key: vaultKey, checking: readOnly, logger: logger) })
    }
}
