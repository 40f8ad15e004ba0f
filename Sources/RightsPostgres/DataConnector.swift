public import Logging
public import RightsKernel
public import RightsStore

/// Opens the data service a data map's sources name: SQLite files or PostgreSQL databases
/// (one driver per map), checked against their schemas; no data map, no personal data.
public enum DataConnector {
    public static func open(_ map: DataMap?, logger: Logger, statementLog: StatementLog? = nil, readOnly: Bool = false) async throws
        -> any PersonalDataService
    {
        guard let map else { return NoPersonalData() }
        if map.sources.contains(where: { $0.driver == .postgres }) {
            return try await PostgresDataService.open(map: map, logger: logger, readOnly: readOnly)
        }
        return try SQLiteDataService(map: map, statementLog: statementLog, readOnly: readOnly)
    }

    /// The data map's schema warnings (mapped columns without an index).
    public static func warnings(of service: any PersonalDataService) -> [ConfigError] {
        (service as? SQLiteDataService)?.warnings ?? (service as? PostgresDataService)?.warnings ?? []
    }
}
