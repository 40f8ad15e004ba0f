public import Foundation
import GRDB
import PostgresNIO
public import RightsKernel
import RightsStore

/// Limits on processing on PostgreSQL, as on SQLite: one row per limited row of the
/// organisation's database in `rightskit_processing_limits` (`purposes` NULL for everything but
/// storage), in one transaction per source that also journals the result.
extension PostgresDataService {
    public func limitProcessing(_ identities: [SubjectIdentity], _ limit: ProcessingLimit, request: RequestID, at time: Date) async throws
        -> ProcessingLimitReport
    {
        var report = ProcessingLimitReport()
        let operation = vault.journalOperation("processing-limit", for: identities)
        for source in map.sources {
            try await prepareHostTables(source)
            let done = try await transaction(source) { connection -> ProcessingLimitReport in
                if let done = try await journalled(request: request, operation: operation, on: connection) {
                    return try CanonicalJSON.decode(ProcessingLimitReport.self, from: Data(done.utf8))
                }
                let keys = try await rootKeys(identities, source: source, on: connection)
                var limited = ProcessingLimitReport()
                for query in queries(of: source) {
                    var rows: [String] = []
                    try await forEachRow(query, columns: [], rootKeys: keys, on: connection) { row in
                        rows.append(text(try row[value: "rk_row"]) ?? "")
                    }
                    for row in rows {
                        try await connection.query(
                            """
                            INSERT INTO rightskit_processing_limits (table_name, row_key, purposes, basis, request_id, limited_at)
                            VALUES (\(query.table.name), \(row), \(limit.purposes?.joined(separator: ",")), \(limit.basis), \(request.rawValue), \(time.timeIntervalSince1970))
                            """, logger: logger)
                    }
                    if !rows.isEmpty { limited.rows["\(source.name).\(query.table.name)", default: 0] += rows.count }
                }
                try await journal(try CanonicalJSON.string(limited), request: request, operation: operation, at: time, on: connection)
                return limited
            }
            report.merge(done)
        }
        return report
    }

    public func processingLimits(source: String, table: String, rowKey: String) async throws -> [ProcessingLimit] {
        guard let sourceMap = map.sources.first(where: { $0.name == source }) else { throw DataServiceError.unknownSource(source) }
        try await prepareHostTables(sourceMap)
        return try await snapshot(sourceMap) { connection in
            var limits: [ProcessingLimit] = []
            let rows = try await connection.query(
                "SELECT purposes, basis FROM rightskit_processing_limits WHERE table_name = \(table) AND row_key = \(rowKey) ORDER BY id",
                logger: logger)
            for try await (purposes, basis) in rows.decode((String?, String).self) {
                limits.append(ProcessingLimit(purposes: purposes.map { $0.split(separator: ",").map(String.init) }, basis: basis))
            }
            return limits
        }
    }
}
