import Crypto
import Foundation
import GRDB
import RightsKernel

extension SQLiteDataService {
    public func erase(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport {
        var report = ErasureReport()
        for source in map.sources {
            report.merge(try eraseNow(identities, scope: scope, source: source, request: request, at: time))
        }
        return report
    }

    /// Erases in one transaction on the source; the source's own journal table records the
    /// report in the same transaction, so a retried request returns it without erasing twice
    /// (hashing a hash would change the bytes again).
    func eraseNow(_ identities: [SubjectIdentity], scope: DataScope, source: DataSourceMap, request: RequestID, at time: Date) throws -> ErasureReport {
        // One journal entry per request and subject: a discontinuation erases many subjects
        // under one request.
        let operation = "erase:" + vault.hmac(identities.map { "\($0.kind):\($0.normalisedValue)" }.sorted().joined(separator: "|"))
        return try database(source).write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS rightskit_journal (
                    request_id TEXT NOT NULL, operation TEXT NOT NULL, report TEXT NOT NULL, done_at REAL NOT NULL,
                    PRIMARY KEY (request_id, operation));
                CREATE TABLE IF NOT EXISTS rightskit_restrictions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, row_key TEXT NOT NULL, columns TEXT NOT NULL,
                    basis TEXT NOT NULL, lifts_at REAL, request_id TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE INDEX IF NOT EXISTS rightskit_restrictions_by_row ON rightskit_restrictions (table_name, row_key);
                """)
            if let done = try String.fetchOne(db, sql: "SELECT report FROM rightskit_journal WHERE request_id = ? AND operation = ?", arguments: [request.rawValue, operation]) {
                return try CanonicalJSON.decode(ErasureReport.self, from: Data(done.utf8))
            }
            let keys = try rootKeys(identities, source: source, db: db)
            var tally = ErasureTally(source: source.name)
            var shredded: Set<String> = [], keptKeys: Set<String> = []
            // Children first: their rows are found through the parents they link to.
            for query in queries(in: source) {
                let fields = query.fields(in: scope)
                guard !fields.isEmpty else { continue }
                let retentionColumns = Array(Set(query.table.fields.compactMap { query.table.retention(for: $0)?.from })).sorted()
                var plans: [RowErasure] = []
                try forEachRow(query, columns: Array(Set(fields.map(\.column) + retentionColumns)).sorted(), rootKeys: keys, products: scope.products, db: db) { row in
                    plans.append(RowErasure(row: row, table: query.table, fields: fields, at: time, reference: query.subjectReference(rootKey: row["rk_root"])))
                }
                for plan in plans {
                    try apply(plan, query: query, request: request, at: time, db: db, tally: &tally)
                    if plan.encryptedErased { shredded.insert(plan.reference) }
                    if plan.encryptedHeld { keptKeys.insert(plan.reference) }
                }
            }
            for reference in shredded.subtracting(keptKeys).sorted() { try vault.destroyKey(subject: reference) }
            let report = tally.report
            try db.execute(
                sql: "INSERT INTO rightskit_journal (request_id, operation, report, done_at) VALUES (?, ?, ?, ?)",
                arguments: [request.rawValue, operation, try CanonicalJSON.string(report), time.timeIntervalSince1970]
            )
            return report
        }
    }

    private func apply(_ plan: RowErasure, query: TableQuery, request: RequestID, at time: Date, db: Database, tally: inout ErasureTally) throws {
        let table = query.table
        for hold in plan.holds {
            try db.execute(
                sql: "INSERT INTO rightskit_restrictions (table_name, row_key, columns, basis, lifts_at, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [table.name, text(plan.key) ?? "", hold.fields.map(\.column).joined(separator: ","), hold.basis,
                            hold.until?.timeIntervalSince1970, request.rawValue, time.timeIntervalSince1970]
            )
            for field in hold.fields { tally.restricted(table: table.name, field: field, basis: hold.basis, until: hold.until) }
        }
        var erasable = plan.erasable
        if plan.deletesRow {
            let sql = "DELETE FROM \(quoted(table.name)) WHERE \(quoted(table.key)) = ?"
            log?.record(source: query.source.name, sql: sql, argumentCount: 1)
            do {
                try db.inSavepoint {
                    try db.execute(sql: sql, arguments: [plan.key])
                    return .commit
                }
                tally.deleted(table: table.name)
                for field in erasable { tally.erased(table: table.name, field: field) }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                // Rows that are kept (under retention) still refer to this one: it is kept too,
                // restricted, and its other fields are erased in place.
                let kept = erasable.filter { $0.erasure == .deleteRow }
                let basis = "referenced by retained records"
                try db.execute(
                    sql: "INSERT INTO rightskit_restrictions (table_name, row_key, columns, basis, lifts_at, request_id, created_at) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                    arguments: [table.name, text(plan.key) ?? "", kept.map(\.column).joined(separator: ","), basis, request.rawValue, time.timeIntervalSince1970]
                )
                for field in kept { tally.restricted(table: table.name, field: field, basis: basis, until: nil) }
                erasable.removeAll { $0.erasure == .deleteRow }
            }
        }
        var assignments: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        for field in erasable {
            let current = text(plan.row[field.column])
            switch field.erasure {
            case .null, .deleteRow: values.append(nil)
            case .fixed(let replacement): values.append(replacement)
            case .hash: values.append(current.map { SHA256.hash(data: Data($0.utf8)).map { String(format: "%02x", $0) }.joined() })
            case .hmac: values.append(current.map(vault.hmac))
            case .encrypt, .restrict: continue
            }
            assignments.append("\(quoted(field.column)) = ?")
            tally.erased(table: table.name, field: field)
        }
        for field in erasable where field.erasure == .encrypt { tally.erased(table: table.name, field: field) }
        guard !assignments.isEmpty else { return }
        let sql = "UPDATE \(quoted(table.name)) SET \(assignments.joined(separator: ", ")) WHERE \(quoted(table.key)) = ?"
        log?.record(source: query.source.name, sql: sql, argumentCount: values.count + 1)
        try db.execute(sql: sql, arguments: StatementArguments(values + [plan.key]))
    }
}

/// What happens to one row: which fields are erased, which are held and until when.
struct RowErasure {
    struct Hold {
        var basis: String
        var until: Date?
        var fields: [MappedField]
    }

    let row: Row
    let key: DatabaseValue
    let reference: String
    var erasable: [MappedField] = []
    var holds: [Hold] = []
    var deletesRow = false

    init(row: Row, table: MappedTable, fields: [MappedField], at time: Date, reference: String) {
        self.row = row.copy()  // a cursor reuses its row
        self.key = row["rk_row"]
        self.reference = reference
        var held: [String: Hold] = [:]
        for field in fields {
            if field.erasure == .restrict {
                held["technically infeasible to delete", default: Hold(basis: "technically infeasible to delete", until: nil, fields: [])].fields.append(field)
                continue
            }
            if let rule = table.retention(for: field) {
                // An unreadable start date cannot prove the period is over: keep holding.
                let until = date(row[rule.from]).map(rule.lifts(after:))
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

    var encryptedErased: Bool { erasable.contains { $0.erasure == .encrypt } }
    var encryptedHeld: Bool { holds.contains { $0.fields.contains { $0.erasure == .encrypt } } }
}

/// Counts for the erasure report, per table and field.
struct ErasureTally {
    let source: String
    private var erasedCounts: [String: (ErasureReport.Erased)] = [:]
    private var restrictedCounts: [String: ErasureReport.Restricted] = [:]
    private var deletions: [String: Int] = [:]

    init(source: String) { self.source = source }

    mutating func erased(table: String, field: MappedField) {
        let id = "\(table).\(field.column)"
        erasedCounts[id, default: ErasureReport.Erased(source: source, table: table, column: field.column, category: field.category, strategy: field.erasure.name, rows: 0)].rows += 1
    }

    mutating func restricted(table: String, field: MappedField, basis: String, until: Date?) {
        let id = "\(table).\(field.column).\(basis)"
        var entry = restrictedCounts[id] ?? ErasureReport.Restricted(source: source, table: table, column: field.column, category: field.category, basis: basis, rows: 0, until: until)
        entry.rows += 1
        if let current = entry.until, let until { entry.until = max(current, until) } else { entry.until = nil }
        restrictedCounts[id] = entry
    }

    mutating func deleted(table: String) { deletions["\(source).\(table)", default: 0] += 1 }

    var report: ErasureReport {
        ErasureReport(
            erased: erasedCounts.keys.sorted().compactMap { erasedCounts[$0] },
            deletedRows: deletions,
            restricted: restrictedCounts.keys.sorted().compactMap { restrictedCounts[$0] }
        )
    }
}
