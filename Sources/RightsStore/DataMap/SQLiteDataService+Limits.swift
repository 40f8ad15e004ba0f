public import Foundation
import GRDB
public import RightsKernel

/// Limits on processing (GDPR Art. 18 restriction, a CCPA opt-out), one row per limited row of
/// the organisation's database in `rightskit_processing_limits`, where the host application
/// looks before it processes a row: `purposes` NULL means every purpose but storage.
extension SQLiteDataService {
    public func limitProcessing(_ identities: [SubjectIdentity], _ limit: ProcessingLimit, request: RequestID, at time: Date) async throws
        -> ProcessingLimitReport
    {
        try limitProcessingNow(identities, limit, request: request, at: time)
    }

    public func processingLimits(source: String, table: String, rowKey: String) async throws -> [ProcessingLimit] {
        try processingLimitsNow(source: source, table: table, rowKey: rowKey)
    }

    func limitProcessingNow(_ identities: [SubjectIdentity], _ limit: ProcessingLimit, request: RequestID, at time: Date) throws
        -> ProcessingLimitReport
    {
        var report = ProcessingLimitReport()
        let operation = journalOperation("processing-limit", for: identities)
        for source in map.sources {
            let done = try database(source).write { db -> ProcessingLimitReport in
                try Self.createHostTables(db)
                if let done = try Self.journalled(request: request, operation: operation, db: db) {
                    return try CanonicalJSON.decode(ProcessingLimitReport.self, from: Data(done.utf8))
                }
                let keys = try rootKeys(identities, source: source, db: db)
                var limited = ProcessingLimitReport()
                let sql = """
                    INSERT INTO rightskit_processing_limits (table_name, row_key, purposes, basis, request_id, limited_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
                for query in queries(in: source) {
                    try forEachRow(query, columns: [], rootKeys: keys, db: db) { row in
                        log?.record(source: source.name, sql: sql, argumentCount: 6)
                        try db.execute(
                            sql: sql,
                            arguments: [
                                query.table.name, text(row["rk_row"]) ?? "", limit.purposes?.joined(separator: ","), limit.basis,
                                request.rawValue, time.timeIntervalSince1970,
                            ])
                        limited.rows["\(source.name).\(query.table.name)", default: 0] += 1
                    }
                }
                try Self.journal(try CanonicalJSON.string(limited), request: request, operation: operation, at: time, db: db)
                return limited
            }
            report.merge(done)
        }
        return report
    }

    func processingLimitsNow(source: String, table: String, rowKey: String) throws -> [ProcessingLimit] {
        guard let sourceMap = map.sources.first(where: { $0.name == source }) else { throw DataServiceError.unknownSource(source) }
        return try database(sourceMap).read { db in
            guard try db.tableExists("rightskit_processing_limits") else { return [] }
            return try Row.fetchAll(
                db, sql: "SELECT purposes, basis FROM rightskit_processing_limits WHERE table_name = ? AND row_key = ? ORDER BY id",
                arguments: [table, rowKey]
            ).map { row in
                let purposes: String? = row["purposes"]
                return ProcessingLimit(purposes: purposes.map { $0.split(separator: ",").map(String.init) }, basis: row["basis"])
            }
        }
    }
}
