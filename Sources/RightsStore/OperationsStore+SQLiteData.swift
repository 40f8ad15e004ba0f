public import Logging
public import RightsKernel
public import RightsStorage

extension OperationsStore {
    /// The services a deployment describes: its data map (checked against the real schemas,
    /// so a mismatch is a load error) over this store.
    public func services(
        for settings: DeploymentSettings, http: any OutboundHTTP = NoOutboundHTTP(), exports: any ExportFormats = NoExportFormats(),
        logger: Logger, statementLog: StatementLog? = nil,
        readOnly: Bool = false
    ) throws
        -> Services
    {
        let data: any PersonalDataService =
            try settings.dataMap.map { map in
                try InlineTaskExecutor.run { try await DataMapService.sqlite(map: map, statementLog: statementLog, readOnly: readOnly) }
            } ?? NoPersonalData()
        return services(
            identity: settings.identity, data: data, http: http, exports: exports, timeZone: settings.policy.deadline.timeZone,
            logger: logger)
    }
}
