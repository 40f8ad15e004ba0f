public import Foundation
public import RightsKernel

extension DataMapService {
    public func erase(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport {
        try await eraseEverySource(identities, scope: scope, request: request, at: time, cancelling: false)
    }

    /// Erases as ``erase(_:scope:request:at:)`` does and, in the last batch's transaction, marks
    /// the account cancelled where the map says how (`cancelled:` on the account's table).
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

    /// The longest a batch holds the source's write lock, and the pause after it in which the
    /// host application's writers (polling every 100 ms at most) get their turn.
    package static let batchBudget: TimeInterval = 0.2
    package static let batchPause: TimeInterval = 0.11
    package static let batchRows = 200

    /// Erases in bounded batches, each its own short transaction on the source, so the host
    /// application's writes wait a fraction of a second at most. Each batch records its
    /// progress in the source's own `rightskit_progress` table in the same transaction, so a
    /// crash resumes after the last committed batch and no row is handled twice; the last batch
    /// writes the report to `rightskit_journal`, so a retried request returns it without
    /// erasing again (hashing a hash would change the bytes again). A batch commits only over
    /// the cursor this process last saw, read under a lock on the erasure, so two processes
    /// that ever work one erasure (a lease taken over while the first still ran) never both
    /// handle a row: the second to commit stops.
    func erase(
        _ identities: [SubjectIdentity], scope: DataScope, source: DataSourceMap, request: RequestID, at time: Date, cancelling: Bool
    ) async throws -> ErasureReport {
        // One journal entry per request and subject: a discontinuation erases many subjects
        // under one request.
        let operation = journalOperation(cancelling ? "cancel" : "erase", for: identities)
        try await prepareHostTables(source)
        let executor = try executor(source)
        let start = try await executor.transaction { connection -> ErasureStart in
            if let done = try await Self.journalled(ErasureReport.self, request: request, operation: operation, on: connection) {
                return .done(done)
            }
            if let saved = try await Self.cursor(request: request, operation: operation, on: connection) {
                return .resume(try CanonicalJSON.decode(ErasureProgress.self, from: Data(saved.utf8)), savedCursor: saved)
            }
            let keys = try await self.rootKeys(identities, source: source, on: connection)
            return .resume(
                ErasureProgress(rootKeys: keys.mapValues { $0.map(StoredKey.init) }, tally: ErasureTally(source: source.name)),
                savedCursor: nil)
        }
        var progress: ErasureProgress
        switch start {
        case .done(let report): return report
        case .resume(let saved, _): progress = saved
        }
        var seenCursor = start.savedCursor
        let keys = progress.rootKeys.mapValues { $0.map(\.sqlValue) }
        // Children first: their rows are found through the parents they link to.
        let work = queriesChildrenFirst(in: source).map { query in
            let fields = query.fields(in: scope)
            let retentionColumns = Array(Set(query.table.fields.compactMap { query.table.retention(for: $0)?.from })).sorted()
            return ErasureWork(query: query, fields: fields, columns: Array(Set(fields.map(\.column) + retentionColumns)).sorted())
        }
        // The subject's rows of every table still to do, in key order (past the last batch
        // committed in the current table), read before any write lock is taken, one short read
        // per table (in rollback-journal mode a long read would hold the host's commits back).
        var pendingKeys: [Int: [StoredKey]] = [:]
        let tables = (progress.table..<work.count).filter { !work[$0].fields.isEmpty }
        // Where a read holds the host's writers back, one short read per table; elsewhere one
        // snapshot for all of them (a round trip each instead of four).
        let groups = executor.dialect.readsHoldWritersBack ? tables.map { [$0] } : [tables]
        for group in groups where !group.isEmpty {
            let raw = try await executor.snapshot { connection in
                var raw: [Int: [SQLValue]] = [:]
                for index in group {
                    raw[index] = try await self.rowKeys(work[index].query, rootKeys: keys, products: scope.products, on: connection)
                }
                return raw
            }
            for (index, values) in raw {
                var found = Set(values.map(StoredKey.init))
                if index == progress.table, let last = progress.lastRow { found = found.filter { last < $0 } }
                pendingKeys[index] = found.sorted()
            }
        }
        var offset = 0
        while true {
            let started = Date()
            let (before, beforeOffset, expected) = (progress, offset, seenCursor)
            let pending = pendingKeys
            let batch = try await executor.transaction { connection -> ErasureBatch in
                var progress = before
                var offset = beforeOffset
                // Batches of one erasure queue here, so the first batch, before any cursor row
                // exists, is as exclusive as the later ones.
                if let lock = executor.dialect.lockStatement(.text(request.rawValue + "|" + operation)) {
                    try await connection.query(lock)
                }
                let current = try await Self.cursor(request: request, operation: operation, on: connection)
                guard current == expected else { throw DataServiceError.erasureWorkedElsewhere(request) }
                // As many rows, across as many tables, as fit in one batch's time.
                while progress.table < work.count, Date().timeIntervalSince(started) < Self.batchBudget {
                    let step = work[progress.table]
                    let tableKeys = pending[progress.table] ?? []
                    while offset < tableKeys.count, Date().timeIntervalSince(started) < Self.batchBudget {
                        let rows = Array(tableKeys[offset..<min(offset + Self.batchRows, tableKeys.count)])
                        var plans: [RowErasure] = []
                        try await self.forEachRow(
                            step.query, columns: step.columns, rootKeys: keys, products: scope.products, rows: rows.map(\.sqlValue),
                            on: connection
                        ) { row in
                            plans.append(
                                RowErasure(
                                    row: row, table: step.query.table, fields: step.fields, at: time, timeZone: self.map.timeZone,
                                    reference: step.query.subjectReference(rootKey: row["rk_root"])))
                        }
                        var restrictions = RestrictionRows(request: request, at: time)
                        for plan in plans {
                            try await self.apply(
                                plan, query: step.query, tally: &progress.tally, restrictions: &restrictions, on: connection)
                            if plan.encryptedErased { progress.shredded.insert(plan.reference) }
                            if plan.encryptedHeld { progress.keptKeys.insert(plan.reference) }
                        }
                        try await restrictions.record(on: connection)
                        offset += rows.count
                        progress.lastRow = rows.last
                    }
                    guard offset >= tableKeys.count else { break }
                    progress.table += 1
                    progress.lastRow = nil
                    offset = 0
                }
                guard progress.table >= work.count else {
                    let cursor = try await progress.save(request: request, operation: operation, on: connection)
                    return ErasureBatch(progress: progress, offset: offset, cursor: cursor, report: nil)
                }
                // The last batch: keys of fully erased encrypted fields go, the report is
                // journalled and the cursor dropped, all with the batch's own changes.
                for reference in progress.shredded.subtracting(progress.keptKeys).sorted() {
                    try await self.vault.destroyKey(subject: reference)
                }
                if cancelling {
                    try await self.markCancelled(progress.rootKeys, source: source, request: request, at: time, on: connection)
                }
                let done = progress.tally.report
                try await Self.journal(done, request: request, operation: operation, at: time, on: connection)
                try await connection.query(
                    "DELETE FROM rightskit_progress WHERE request_id = \(request.rawValue) AND operation = \(operation)")
                return ErasureBatch(progress: progress, offset: offset, cursor: nil, report: done)
            }
            CrashPoint.reach("erase:batch")
            if let report = batch.report { return report }
            (progress, offset, seenCursor) = (batch.progress, batch.offset, batch.cursor)
            try await Task.sleep(for: .seconds(Self.batchPause))  // the host's writers get their turn
        }
    }

    /// The saved cursor of an erasure.
    private static func cursor(request: RequestID, operation: String, on connection: any SQLConnection) async throws -> String? {
        try await connection.query(
            "SELECT cursor FROM rightskit_progress WHERE request_id = \(request.rawValue) AND operation = \(operation)"
        ).first?.decode("cursor")
    }

    /// Marks the subject's account rows cancelled as the map declares, so the host application
    /// stops serving them; a row to delete that retained rows still refer to is restricted and
    /// left for the sweep.
    private func markCancelled(
        _ rootKeys: [String: [StoredKey]], source: DataSourceMap, request: RequestID, at time: Date, on connection: any SQLConnection
    ) async throws {
        var restrictions = RestrictionRows(request: request, at: time)
        for table in source.tables {
            guard let mark = table.cancellation, let keys = rootKeys[table.name], !keys.isEmpty else { continue }
            for key in keys {
                switch mark {
                case .status(let column, let value):
                    try await connection.query(
                        """
                        UPDATE \(raw: quoted(table.name)) SET \(raw: quoted(column)) = \(SQLValue.text(value), column: type(source, table.name, column))
                        WHERE \(raw: quoted(table.key)) = \(key.sqlValue, column: type(source, table.name, table.key))
                        """)
                case .deleteRow:
                    if try await !deleteRow(key.sqlValue, of: table, source: source, on: connection) {
                        restrictions.add(
                            table: table.name, rowKey: key.sqlValue, columns: table.fields.map(\.column), basis: Self.referencedBasis,
                            liftsAt: nil)
                    }
                }
            }
        }
        try await restrictions.record(on: connection)
    }

    /// Erases one row by its plan; the restrictions it leaves are added to `restrictions`, which
    /// the batch records in one statement.
    private func apply(
        _ plan: RowErasure, query: TableQuery, tally: inout ErasureTally, restrictions: inout RestrictionRows,
        on connection: any SQLConnection
    ) async throws {
        let table = query.table
        for hold in plan.holds {
            restrictions.add(
                table: table.name, rowKey: plan.key, columns: hold.fields.map(\.column), basis: hold.basis, liftsAt: hold.until)
            for field in hold.fields { tally.restricted(table: table.name, field: field, basis: hold.basis, until: hold.until) }
        }
        var erasable = plan.erasable
        if plan.deletesRow {
            if try await deleteRow(plan.key, of: table, source: query.source, on: connection) {
                tally.deleted(table: table.name)
                for field in erasable { tally.erased(table: table.name, field: field) }
                return
            }
            // Rows that are kept (under retention) still refer to this one: it is kept too,
            // restricted, and its other fields are erased in place.
            let kept = erasable.filter { $0.erasure == .deleteRow }
            restrictions.add(table: table.name, rowKey: plan.key, columns: kept.map(\.column), basis: Self.referencedBasis, liftsAt: nil)
            for field in kept { tally.restricted(table: table.name, field: field, basis: Self.referencedBasis, until: nil) }
            erasable.removeAll { $0.erasure == .deleteRow }
        }
        for field in try await overwrite(erasable, current: plan.row, key: plan.key, of: table, source: query.source, on: connection) {
            tally.erased(table: table.name, field: field)
        }
        for field in erasable where field.erasure == .encrypt { tally.erased(table: table.name, field: field) }
    }
}

/// Restrictions an erasure batch leaves, recorded together: one `INSERT` of many rows instead
/// of a statement each (a round trip each on PostgreSQL; on SQLite, time the host's writers wait).
struct RestrictionRows {
    let request: RequestID
    let at: Date
    private var rows: [SQLStatement] = []

    init(request: RequestID, at time: Date) {
        self.request = request
        self.at = time
    }

    mutating func add(table: String, rowKey: SQLValue, columns: [String], basis: String, liftsAt: Date?) {
        rows.append(
            """
            (\(table), \(rowKey.text ?? ""), \(columns.joined(separator: ",")), \(basis), \(liftsAt?.sqlSeconds), \(request.rawValue), \(at.sqlSeconds))
            """)
    }

    /// Inserts the rows, at most 500 to a statement (7 values each, well inside both databases'
    /// limits on bound values).
    func record(on connection: any SQLConnection) async throws {
        for start in stride(from: 0, to: rows.count, by: 500) {
            let part = Array(rows[start..<min(start + 500, rows.count)])
            try await connection.query(
                "INSERT INTO rightskit_restrictions (table_name, row_key, columns, basis, lifts_at, request_id, created_at) VALUES "
                    + .joined(part, separator: ", "))
        }
    }
}

/// One table's share of an erasure: its query, the fields in scope and the columns to read.
struct ErasureWork: Sendable {
    let query: TableQuery
    let fields: [MappedField]
    let columns: [String]
}

/// Where an erasure stands after one batch's transaction.
struct ErasureBatch: Sendable {
    let progress: ErasureProgress
    let offset: Int
    let cursor: String?
    let report: ErasureReport?
}
