public import Foundation
import GRDB
import PostgresNIO
public import RightsKernel
import RightsStore

extension PostgresDataService {
    public func erase(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport {
        try await eraseEverySource(identities, scope: scope, request: request, at: time, cancelling: false)
    }

    public func cancelAccount(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws
        -> ErasureReport
    {
        try await eraseEverySource(identities, scope: scope, request: request, at: time, cancelling: true)
    }

    private func eraseEverySource(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date, cancelling: Bool)
        async throws -> ErasureReport
    {
        var report = ErasureReport()
        for source in map.sources {
            report.merge(try await erase(identities, scope: scope, source: source, request: request, at: time, cancelling: cancelling))
        }
        return report
    }

    /// Erases in bounded batches, each its own transaction on the source that records its
    /// progress in `rightskit_progress`, so a crash resumes after the last committed batch and no
    /// row is handled twice; the last batch journals the report in `rightskit_journal`, so a
    /// retried request returns it without erasing again. As in the SQLite connector, a batch
    /// commits only over the cursor this process last saw (read under a lock on the erasure), so two processes
    /// that ever work one erasure never both handle a row.
    func erase(
        _ identities: [SubjectIdentity], scope: DataScope, source: DataSourceMap, request: RequestID, at time: Date, cancelling: Bool
    ) async throws -> ErasureReport {
        let operation = vault.journalOperation(cancelling ? "cancel" : "erase", for: identities)
        try await prepareHostTables(source)
        let start: (done: ErasureReport?, progress: ErasureProgress?, cursor: String?) = try await transaction(source) { connection in
            if let done = try await journalled(request: request, operation: operation, on: connection) {
                return (try CanonicalJSON.decode(ErasureReport.self, from: Data(done.utf8)), nil, nil)
            }
            if let saved = try await cursor(request: request, operation: operation, on: connection) {
                return (nil, try CanonicalJSON.decode(ErasureProgress.self, from: Data(saved.utf8)), saved)
            }
            let keys = try await rootKeys(identities, source: source, on: connection)
            return (
                nil, ErasureProgress(rootKeys: keys.mapValues { $0.map(StoredKey.init) }, tally: ErasureTally(source: source.name)), nil
            )
        }
        if let done = start.done { return done }
        guard var progress = start.progress else { return ErasureReport() }
        var seenCursor = start.cursor
        let keys = progress.rootKeys.mapValues { $0.map(\.databaseValue) }
        let work = queriesChildrenFirst(in: source).map { query in
            let fields = query.fields(in: scope)
            let retentionColumns = Array(Set(query.table.fields.compactMap { query.table.retention(for: $0)?.from })).sorted()
            return (query: query, fields: fields, columns: Array(Set(fields.map(\.column) + retentionColumns)).sorted())
        }
        // The subject's rows of every table still to do, in key order, read before any write.
        var pendingKeys: [Int: [StoredKey]] = [:]
        for index in progress.table..<work.count where !work[index].fields.isEmpty {
            let raw: [DatabaseValue] = try await snapshot(source) { connection in
                var raw: [DatabaseValue] = []
                try await forEachRow(work[index].query, columns: [], rootKeys: keys, products: scope.products, on: connection) { row in
                    raw.append(try row[value: "rk_row"])
                }
                return raw
            }
            var found = Set(raw.map(StoredKey.init))
            if index == progress.table, let last = progress.lastRow { found = found.filter { last < $0 } }
            pendingKeys[index] = found.sorted()
        }
        var offset = 0
        while true {
            let started = Date()
            let (next, nextOffset, saved, report) = try await transaction(source) {
                connection -> (ErasureProgress, Int, String?, ErasureReport?) in
                var progress = progress
                var offset = offset
                // Batches of one erasure queue here, so the first batch, before any cursor row
                // exists, is as exclusive as the later ones.
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended(\(request.rawValue + "|" + operation), 11))", logger: logger)
                let current = try await cursor(request: request, operation: operation, on: connection)
                guard current == seenCursor else { throw DataServiceError.erasureWorkedElsewhere(request) }
                while progress.table < work.count, Date().timeIntervalSince(started) < SQLiteDataService.batchBudget {
                    let (query, fields, columns) = work[progress.table]
                    let tableKeys = pendingKeys[progress.table] ?? []
                    while offset < tableKeys.count, Date().timeIntervalSince(started) < SQLiteDataService.batchBudget {
                        let batch = Array(tableKeys[offset..<min(offset + SQLiteDataService.batchRows, tableKeys.count)])
                        var plans: [RowErasure] = []
                        try await forEachRow(
                            query, columns: columns, rootKeys: keys, products: scope.products, rows: batch.map(\.databaseValue),
                            on: connection
                        ) { row in
                            let planned = try Self.row(row, columns: columns)
                            plans.append(
                                RowErasure(
                                    row: planned, table: query.table, fields: fields, at: time, timeZone: map.timeZone,
                                    reference: query.subjectReference(rootKey: planned["rk_root"])))
                        }
                        for plan in plans {
                            try await apply(plan, query: query, request: request, at: time, tally: &progress.tally, on: connection)
                            if plan.encryptedErased { progress.shredded.insert(plan.reference) }
                            if plan.encryptedHeld { progress.keptKeys.insert(plan.reference) }
                        }
                        offset += batch.count
                        progress.lastRow = batch.last
                    }
                    guard offset >= tableKeys.count else { break }
                    progress.table += 1
                    progress.lastRow = nil
                    offset = 0
                }
                guard progress.table >= work.count else {
                    let cursor = try CanonicalJSON.string(progress)
                    try await connection.query(
                        """
                        INSERT INTO rightskit_progress (request_id, operation, cursor) VALUES (\(request.rawValue), \(operation), \(cursor))
                        ON CONFLICT (request_id, operation) DO UPDATE SET cursor = excluded.cursor
                        """, logger: logger)
                    return (progress, offset, cursor, nil)
                }
                // The last batch: keys of fully erased encrypted fields go, the report is
                // journalled and the cursor dropped, all with the batch's own changes.
                for reference in progress.shredded.subtracting(progress.keptKeys).sorted() { try vault.destroyKey(subject: reference) }
                if cancelling { try await markCancelled(progress.rootKeys, source: source, request: request, at: time, on: connection) }
                let done = progress.tally.report
                try await journal(try CanonicalJSON.string(done), request: request, operation: operation, at: time, on: connection)
                try await connection.query(
                    "DELETE FROM rightskit_progress WHERE request_id = \(request.rawValue) AND operation = \(operation)", logger: logger)
                return (progress, offset, nil, done)
            }
            CrashPoint.reach("erase:batch")
            if let report { return report }
            (progress, offset, seenCursor) = (next, nextOffset, saved)
            try await Task.sleep(for: .seconds(SQLiteDataService.batchPause))
        }
    }

    /// The saved cursor of an erasure.
    private func cursor(request: RequestID, operation: String, on connection: PostgresConnection) async throws -> String? {
        try await connection.query(
            "SELECT cursor FROM rightskit_progress WHERE request_id = \(request.rawValue) AND operation = \(operation)", logger: logger
        )
        .decode(String.self).collect().first
    }

    /// Marks the subject's account rows cancelled as the map declares.
    private func markCancelled(
        _ rootKeys: [String: [StoredKey]], source: DataSourceMap, request: RequestID, at time: Date, on connection: PostgresConnection
    ) async throws {
        for table in source.tables {
            guard let mark = table.cancellation, let keys = rootKeys[table.name], !keys.isEmpty else { continue }
            for key in keys {
                switch mark {
                case .status(let column, let value):
                    var query = BoundQuery()
                    let newValue = query.mark(value.databaseValue, as: type(source, table.name, column))
                    let keyMark = query.mark(key.databaseValue, as: type(source, table.name, table.key))
                    query.append("UPDATE \(quoted(table.name)) SET \(quoted(column)) = \(newValue) WHERE \(quoted(table.key)) = \(keyMark)")
                    try await connection.query(query.query, logger: logger)
                case .deleteRow:
                    if try await !deleteRow(key.databaseValue, of: table, source: source, on: connection) {
                        try await recordRestriction(
                            table: table.name, rowKey: key.databaseValue, columns: table.fields.map(\.column),
                            basis: SQLiteDataService.referencedBasis, liftsAt: nil, request: request, at: time, on: connection)
                    }
                }
            }
        }
    }

    private func apply(
        _ plan: RowErasure, query: TableQuery, request: RequestID, at time: Date, tally: inout ErasureTally,
        on connection: PostgresConnection
    ) async throws {
        let table = query.table
        for hold in plan.holds {
            try await recordRestriction(
                table: table.name, rowKey: plan.key, columns: hold.fields.map(\.column), basis: hold.basis, liftsAt: hold.until,
                request: request, at: time, on: connection)
            for field in hold.fields { tally.restricted(table: table.name, field: field, basis: hold.basis, until: hold.until) }
        }
        var erasable = plan.erasable
        if plan.deletesRow {
            if try await deleteRow(plan.key, of: table, source: query.source, on: connection) {
                tally.deleted(table: table.name)
                for field in erasable { tally.erased(table: table.name, field: field) }
                return
            }
            let kept = erasable.filter { $0.erasure == .deleteRow }
            try await recordRestriction(
                table: table.name, rowKey: plan.key, columns: kept.map(\.column), basis: SQLiteDataService.referencedBasis, liftsAt: nil,
                request: request, at: time, on: connection)
            for field in kept { tally.restricted(table: table.name, field: field, basis: SQLiteDataService.referencedBasis, until: nil) }
            erasable.removeAll { $0.erasure == .deleteRow }
        }
        for field in try await overwrite(erasable, current: plan.row, key: plan.key, of: table, source: query.source, on: connection) {
            tally.erased(table: table.name, field: field)
        }
        for field in erasable where field.erasure == .encrypt { tally.erased(table: table.name, field: field) }
    }
}
