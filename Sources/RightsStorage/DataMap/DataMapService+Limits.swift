public import Foundation
public import RightsKernel

/// Limits on processing (GDPR Art. 18 restriction, a CCPA opt-out), one row per limited row of
/// the organisation's database in `rightskit_processing_limits`, where the host application
/// looks before it processes a row: `purposes` NULL means every purpose but storage.
extension DataMapService {
    public func limitProcessing(_ identities: [SubjectIdentity], _ limit: ProcessingLimit, request: RequestID, at time: Date) async throws
        -> ProcessingLimitReport
    {
        var report = ProcessingLimitReport()
        let operation = journalOperation("processing-limit", for: identities)
        for source in map.sources {
            try await prepareHostTables(source)
            let done = try await executor(source).transaction { connection -> ProcessingLimitReport in
                if let done = try await Self.journalled(ProcessingLimitReport.self, request: request, operation: operation, on: connection)
                {
                    return done
                }
                let keys = try await self.rootKeys(identities, source: source, on: connection)
                var limited = ProcessingLimitReport()
                for query in self.queriesChildrenFirst(in: source) {
                    var rows: [String] = []
                    try await self.forEachRow(query, columns: [], rootKeys: keys, on: connection) { rows.append($0["rk_row"].text ?? "") }
                    for row in rows {
                        let statement: SQLStatement = """
                            INSERT INTO rightskit_processing_limits (table_name, row_key, purposes, basis, request_id, limited_at)
                            VALUES (\(query.table.name), \(row), \(limit.purposes?.joined(separator: ",")), \(limit.basis), \(request.rawValue), \(time.sqlSeconds))
                            """
                        self.record(statement, on: source)
                        try await connection.query(statement)
                        limited.rows["\(source.name).\(query.table.name)", default: 0] += 1
                    }
                }
                try await Self.journal(limited, request: request, operation: operation, at: time, on: connection)
                return limited
            }
            report.merge(done)
        }
        return report
    }

    public func processingLimits(source: String, table: String, rowKey: String) async throws -> [ProcessingLimit] {
        guard let sourceMap = map.sources.first(where: { $0.name == source }) else { throw DataServiceError.unknownSource(source) }
        try await prepareHostTables(sourceMap)
        return try await executor(sourceMap).query(
            "SELECT purposes, basis FROM rightskit_processing_limits WHERE table_name = \(table) AND row_key = \(rowKey) ORDER BY id"
        ).map { row in
            let purposes: String? = try row.decode("purposes")
            return ProcessingLimit(purposes: purposes.map { $0.split(separator: ",").map(String.init) }, basis: try row.decode("basis"))
        }
    }
}
