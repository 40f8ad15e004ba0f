import Crypto
public import Foundation
package import GRDB
public import RightsKernel

extension SQLiteDataService {
    public func erase(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport {
        try eraseEverySource(identities, scope: scope, request: request, at: time, cancelling: false)
    }

    /// Erases as ``erase(_:scope:request:at:)`` does and, in the last batch's transaction, marks
    /// the account cancelled where the map says how (`cancelled:` on the account's table).
    public func cancelAccount(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws
        -> ErasureReport
    {
        try eraseEverySource(identities, scope: scope, request: request, at: time, cancelling: true)
    }

    private func eraseEverySource(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date, cancelling: Bool)
        throws -> ErasureReport
    {
        var report = ErasureReport()
        for source in map.sources {
            report.merge(try eraseNow(identities, scope: scope, source: source, request: request, at: time, cancelling: cancelling))
        }
        return report
    }

    /// Erases in bounded batches, each its own short transaction on the source, so the host
    /// application's writes wait a fraction of a second at most. Each batch records its
    /// progress in the source's own `rightskit_progress` table in the same transaction, so a
    /// crash resumes after the last committed batch and no row is handled twice; the last batch
    /// writes the report to `rightskit_journal`, so a retried request returns it without
    /// erasing again (hashing a hash would change the bytes again).
    func eraseNow(
        _ identities: [SubjectIdentity], scope: DataScope, source: DataSourceMap, request: RequestID, at time: Date,
        cancelling: Bool = false
    ) throws -> ErasureReport {
        // One journal entry per request and subject: a discontinuation erases many subjects
        // under one request.
        let operation = journalOperation(cancelling ? "cancel" : "erase", for: identities)
        let database = try database(source)
        let start = try database.write { db -> ErasureStart in
            try Self.createHostTables(db)
            if let done = try Self.journalled(request: request, operation: operation, db: db) {
                return .done(try CanonicalJSON.decode(ErasureReport.self, from: Data(done.utf8)))
            }
            if let saved = try String.fetchOne(
                db, sql: "SELECT cursor FROM rightskit_progress WHERE request_id = ? AND operation = ?",
                arguments: [request.rawValue, operation])
            {
                return .resume(try CanonicalJSON.decode(ErasureProgress.self, from: Data(saved.utf8)), savedCursor: saved)
            }
            let keys = try rootKeys(identities, source: source, db: db)
            return .resume(
                ErasureProgress(rootKeys: keys.mapValues { $0.map(StoredKey.init) }, tally: ErasureTally(source: source.name)),
                savedCursor: nil)
        }
        var progress: ErasureProgress
        switch start {
        case .done(let report): return report
        case .resume(let saved, _): progress = saved
        }
        // The cursor as this process last saw it; a batch commits only over it, so two
        // processes that ever work the same erasure (a lease taken over while the first still
        // ran) never handle a row twice: the second to commit stops.
        var seenCursor = start.savedCursor
        let keys = progress.rootKeys.mapValues { $0.map(\.databaseValue) }
        // Children first: their rows are found through the parents they link to.
        let work = queries(in: source).map { query in
            let fields = query.fields(in: scope)
            let retentionColumns = Array(Set(query.table.fields.compactMap { query.table.retention(for: $0)?.from })).sorted()
            return (query: query, fields: fields, columns: Array(Set(fields.map(\.column) + retentionColumns)).sorted())
        }
        // The subject's rows of every table still to do, in key order (past the last batch
        // committed in the current table), read before any write lock is taken, one short read
        // per table (in rollback-journal mode a long read would hold the host's commits back).
        // Inside the read only the raw keys are copied out; sorting and filtering come after.
        var pendingKeys: [Int: [StoredKey]] = [:]
        for index in progress.table..<work.count where !work[index].fields.isEmpty {
            var raw: [DatabaseValue] = []
            try snapshot(database) { db in
                try forEachRow(work[index].query, columns: [], rootKeys: keys, products: scope.products, db: db) { row in
                    raw.append(row[0])  // rk_row
                }
            }
            var found = Set(raw.map(StoredKey.init))
            if index == progress.table, let last = progress.lastRow { found = found.filter { last < $0 } }
            pendingKeys[index] = found.sorted()
        }
        var offset = 0
        var report: ErasureReport?
        while report == nil {
            let started = Date()
            try database.write { db in
                let current = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT cursor FROM rightskit_progress WHERE request_id = ? AND operation = ?"),
                    arguments: [request.rawValue, operation])
                guard current == seenCursor else { throw DataServiceError.erasureWorkedElsewhere(request) }
                // As many rows, across as many tables, as fit in one batch's time.
                while progress.table < work.count, Date().timeIntervalSince(started) < Self.batchBudget {
                    let (query, fields, columns) = work[progress.table]
                    let tableKeys = pendingKeys[progress.table] ?? []
                    while offset < tableKeys.count, Date().timeIntervalSince(started) < Self.batchBudget {
                        let batch = Array(tableKeys[offset..<min(offset + Self.batchRows, tableKeys.count)])
                        var plans: [RowErasure] = []
                        try forEachRow(
                            query, columns: columns, rootKeys: keys, products: scope.products, rows: batch.map(\.databaseValue), db: db
                        ) { row in
                            plans.append(
                                RowErasure(
                                    row: row, table: query.table, fields: fields, at: time, timeZone: map.timeZone,
                                    reference: query.subjectReference(rootKey: row["rk_root"])))
                        }
                        for plan in plans {
                            try apply(plan, query: query, request: request, at: time, db: db, tally: &progress.tally)
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
                    seenCursor = try progress.save(request: request, operation: operation, db: db)
                    return
                }
                // The last batch: keys of fully erased encrypted fields go, the report is
                // journalled and the cursor dropped, all with the batch's own changes.
                for reference in progress.shredded.subtracting(progress.keptKeys).sorted() { try vault.destroyKey(subject: reference) }
                if cancelling { try markCancelled(progress.rootKeys, source: source, request: request, at: time, db: db) }
                let done = progress.tally.report
                try Self.journal(try CanonicalJSON.string(done), request: request, operation: operation, at: time, db: db)
                try db.execute(
                    sql: "DELETE FROM rightskit_progress WHERE request_id = ? AND operation = ?", arguments: [request.rawValue, operation])
                report = done
            }
            CrashPoint.reach("erase:batch")
            if report == nil { Thread.sleep(forTimeInterval: Self.batchPause) }
        }
        return report ?? progress.tally.report
    }

    /// Marks the subject's account rows cancelled as the map declares, so the host application
    /// stops serving them; a row to delete that retained rows still refer to is restricted and
    /// left for the sweep.
    private func markCancelled(_ rootKeys: [String: [StoredKey]], source: DataSourceMap, request: RequestID, at time: Date, db: Database)
        throws
    {
        for table in source.tables {
            guard let mark = table.cancellation, let keys = rootKeys[table.name], !keys.isEmpty else { continue }
            for key in keys {
                switch mark {
                case .status(let column, let value):
                    try db.execute(
                        sql: "UPDATE \(quoted(table.name)) SET \(quoted(column)) = ? WHERE \(quoted(table.key)) = ?",
                        arguments: [value, key.databaseValue])
                case .deleteRow:
                    if try !deleteRow(key.databaseValue, of: table, source: source, db: db) {
                        try Self.recordRestriction(
                            table: table.name, rowKey: key.databaseValue, columns: table.fields.map(\.column), basis: Self.referencedBasis,
                            liftsAt: nil, request: request, at: time, db: db)
                    }
                }
            }
        }
    }

    /// The longest a batch holds the source's write lock, and the pause after it in which the
    /// host application's writers (polling every 100 ms at most) get their turn.
    package static let batchBudget: TimeInterval = 0.2
    package static let batchPause: TimeInterval = 0.11
    package static let batchRows = 200

    /// The tables RightsKit keeps in the organisation's database for the host to read.
    static func createHostTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS rightskit_journal (
                    request_id TEXT NOT NULL, operation TEXT NOT NULL, report TEXT NOT NULL, done_at REAL NOT NULL,
                    PRIMARY KEY (request_id, operation));
                CREATE TABLE IF NOT EXISTS rightskit_progress (
                    request_id TEXT NOT NULL, operation TEXT NOT NULL, cursor TEXT NOT NULL, PRIMARY KEY (request_id, operation));
                CREATE TABLE IF NOT EXISTS rightskit_restrictions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, row_key TEXT NOT NULL, columns TEXT NOT NULL,
                    basis TEXT NOT NULL, lifts_at REAL, request_id TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE INDEX IF NOT EXISTS rightskit_restrictions_by_row ON rightskit_restrictions (table_name, row_key);
                CREATE TABLE IF NOT EXISTS rightskit_processing_limits (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, row_key TEXT NOT NULL, purposes TEXT,
                    basis TEXT NOT NULL, request_id TEXT NOT NULL, limited_at REAL NOT NULL);
                CREATE INDEX IF NOT EXISTS rightskit_processing_limits_by_row ON rightskit_processing_limits (table_name, row_key);
                CREATE INDEX IF NOT EXISTS rightskit_restrictions_lifting ON rightskit_restrictions (lifts_at) WHERE lifts_at IS NOT NULL;
                CREATE INDEX IF NOT EXISTS rightskit_restrictions_referenced ON rightskit_restrictions (id)
                    WHERE basis = '\(referencedBasis)';
                """)
    }

    /// The journal's name for an operation on one subject (a keyed hash of the identities, never
    /// the identities): a request that acts on many subjects journals each apart.
    func journalOperation(_ kind: String, for identities: [SubjectIdentity]) -> String {
        vault.journalOperation(kind, for: identities)
    }

    /// The recorded result of an operation done for a request on this source, if it was done.
    static func journalled(request: RequestID, operation: String, db: Database) throws -> String? {
        try String.fetchOne(
            db, sql: "SELECT report FROM rightskit_journal WHERE request_id = ? AND operation = ?",
            arguments: [request.rawValue, operation])
    }

    /// Records an operation's result in the caller's transaction on the source.
    static func journal(_ result: String, request: RequestID, operation: String, at time: Date, db: Database) throws {
        try db.execute(
            sql: "INSERT INTO rightskit_journal (request_id, operation, report, done_at) VALUES (?, ?, ?, ?)",
            arguments: [request.rawValue, operation, result, time.timeIntervalSince1970]
        )
    }

    private func apply(_ plan: RowErasure, query: TableQuery, request: RequestID, at time: Date, db: Database, tally: inout ErasureTally)
        throws
    {
        let table = query.table
        for hold in plan.holds {
            try Self.recordRestriction(
                table: table.name, rowKey: plan.key, columns: hold.fields.map(\.column), basis: hold.basis, liftsAt: hold.until,
                request: request, at: time, db: db)
            for field in hold.fields { tally.restricted(table: table.name, field: field, basis: hold.basis, until: hold.until) }
        }
        var erasable = plan.erasable
        if plan.deletesRow {
            if try deleteRow(plan.key, of: table, source: query.source, db: db) {
                tally.deleted(table: table.name)
                for field in erasable { tally.erased(table: table.name, field: field) }
                return
            }
            // Rows that are kept (under retention) still refer to this one: it is kept too,
            // restricted, and its other fields are erased in place.
            let kept = erasable.filter { $0.erasure == .deleteRow }
            try Self.recordRestriction(
                table: table.name, rowKey: plan.key, columns: kept.map(\.column), basis: Self.referencedBasis, liftsAt: nil,
                request: request, at: time, db: db)
            for field in kept { tally.restricted(table: table.name, field: field, basis: Self.referencedBasis, until: nil) }
            erasable.removeAll { $0.erasure == .deleteRow }
        }
        for field in try overwrite(erasable, current: plan.row, key: plan.key, of: table, source: query.source, db: db) {
            tally.erased(table: table.name, field: field)
        }
        for field in erasable where field.erasure == .encrypt { tally.erased(table: table.name, field: field) }
    }
}

/// What happens to one row: which fields are erased, which are held and until when.
package struct RowErasure {
    package struct Hold {
        package var basis: String
        package var until: Date?
        package var fields: [MappedField]
    }

    package let row: Row
    package let key: DatabaseValue
    package let reference: String
    package var erasable: [MappedField] = []
    package var holds: [Hold] = []
    package var deletesRow = false

    package init(row: Row, table: MappedTable, fields: [MappedField], at time: Date, timeZone: TimeZone, reference: String) {
        self.row = row.copy()  // a cursor reuses its row
        self.key = row["rk_row"]
        self.reference = reference
        var held: [String: Hold] = [:]
        for field in fields {
            if field.erasure == .restrict {
                held["technically infeasible to delete", default: Hold(basis: "technically infeasible to delete", until: nil, fields: [])]
                    .fields.append(field)
                continue
            }
            if let rule = table.retention(for: field) {
                // An unreadable start date cannot prove the period is over: keep holding.
                let until = date(row[rule.from], in: timeZone).map { rule.lifts(after: $0, in: timeZone) }
                if until.map({ $0 > time }) ?? true {
                    held[rule.basis, default: Hold(basis: rule.basis, until: until, fields: [])].fields.append(field)
                    continue
                }
            }
            erasable.append(field)
        }
        holds = held.keys.sorted().compactMap { held[$0] }
        // A row is deleted only when one of its fields asks for it and nothing in it is held.
        deletesRow = holds.isEmpty && erasable.contains { $0.erasure == .deleteRow }
        if !holds.isEmpty, erasable.contains(where: { $0.erasure == .deleteRow }) {
            erasable.removeAll { $0.erasure == .deleteRow }
        }
    }

    package var encryptedErased: Bool { erasable.contains { $0.erasure == .encrypt } }
    package var encryptedHeld: Bool { holds.contains { $0.fields.contains { $0.erasure == .encrypt } } }
}

/// Where a batched erasure stands: the subject's root keys found at the start, the table being
/// worked (children first), the last row key done in it, and the tally so far.
package struct ErasureProgress: Codable, Sendable {
    package var rootKeys: [String: [StoredKey]]
    package var table = 0
    package var lastRow: StoredKey?
    package var tally: ErasureTally
    package var shredded: Set<String> = []
    package var keptKeys: Set<String> = []

    package init(rootKeys: [String: [StoredKey]], tally: ErasureTally) {
        self.rootKeys = rootKeys
        self.tally = tally
    }

    /// Saves the cursor in the caller's transaction and returns it as stored.
    func save(request: RequestID, operation: String, db: Database) throws -> String {
        let cursor = try CanonicalJSON.string(self)
        try db.execute(
            sql:
                "INSERT INTO rightskit_progress (request_id, operation, cursor) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET cursor = excluded.cursor",
            arguments: [request.rawValue, operation, cursor]
        )
        return cursor
    }
}

enum ErasureStart {
    case done(ErasureReport)
    /// Fresh work (no saved cursor) or work resumed from the saved cursor.
    case resume(ErasureProgress, savedCursor: String?)

    var savedCursor: String? {
        if case .resume(_, let cursor) = self { return cursor }
        return nil
    }
}

/// A row key that survives a restart: integer or text, ordered integers first.
package struct StoredKey: Codable, Hashable, Comparable, Sendable {
    package var integer: Int64?
    package var text: String?

    package init(_ value: DatabaseValue) {
        if case .int64(let number) = value.storage { integer = number } else { text = RightsStore.text(value) ?? "" }
    }

    package var databaseValue: DatabaseValue { integer.map { $0.databaseValue } ?? (text ?? "").databaseValue }

    package static func < (lhs: StoredKey, rhs: StoredKey) -> Bool {
        switch (lhs.integer, rhs.integer) {
        case (let left?, let right?): left < right
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): (lhs.text ?? "") < (rhs.text ?? "")
        }
    }
}

/// Counts for the erasure report, per table and field.
package struct ErasureTally: Codable, Sendable {
    package let source: String
    private var erasedCounts: [String: (ErasureReport.Erased)] = [:]
    private var restrictedCounts: [String: ErasureReport.Restricted] = [:]
    private var deletions: [String: Int] = [:]

    package init(source: String) { self.source = source }

    package mutating func erased(table: String, field: MappedField) {
        let id = "\(table).\(field.column)"
        erasedCounts[
            id,
            default: ErasureReport.Erased(
                source: source, table: table, column: field.column, category: field.category, strategy: field.erasure.name, rows: 0)
        ].rows += 1
    }

    package mutating func restricted(table: String, field: MappedField, basis: String, until: Date?) {
        let id = "\(table).\(field.column).\(basis)"
        var entry =
            restrictedCounts[id]
            ?? ErasureReport.Restricted(
                source: source, table: table, column: field.column, category: field.category, basis: basis, rows: 0, until: until)
        entry.rows += 1
        if let current = entry.until, let until { entry.until = max(current, until) } else { entry.until = nil }
        restrictedCounts[id] = entry
    }

    package mutating func deleted(table: String) { deletions["\(source).\(table)", default: 0] += 1 }

    package var report: ErasureReport {
        ErasureReport(
            erased: erasedCounts.keys.sorted().compactMap { erasedCounts[$0] },
            deletedRows: deletions,
            restricted: restrictedCounts.keys.sorted().compactMap { restrictedCounts[$0] }
        )
    }
}
