import Foundation
import GRDB
import RightsKernel

extension SQLiteDataService {
    public func correct(_ identities: [SubjectIdentity], field selector: String, value: String) async throws -> CorrectionResult {
        try correctNow(identities, field: selector, value: value)
    }

    /// The mapped fields a selector names: `table.column`, or a category (exact matches first,
    /// then the categories below it).
    func fields(named selector: String) -> [(source: DataSourceMap, table: MappedTable, field: MappedField)] {
        let all = map.sources.flatMap { source in source.tables.flatMap { table in table.fields.map { (source, table, $0) } } }
        let byColumn = all.filter { "\($0.1.name).\($0.2.column)" == selector }
        if !byColumn.isEmpty { return byColumn }
        let exact = all.filter { $0.2.category.name == selector }
        if !exact.isEmpty { return exact }
        return all.filter { $0.2.category.isWithin(DataCategory(selector)) }
    }

    func correctNow(_ identities: [SubjectIdentity], field selector: String, value: String) throws -> CorrectionResult {
        let targets = fields(named: selector)
        guard !targets.isEmpty else { return .unknownField(selector) }
        if let fixed = targets.first(where: { !$0.field.correctable }) {
            return .refused(field: "\(fixed.table.name).\(fixed.field.column)", correctAt: fixed.field.correctAt)
        }
        var changes: [FieldChange] = []
        for source in map.sources {
            let inSource = targets.filter { $0.source.name == source.name }
            guard !inSource.isEmpty else { continue }
            changes += try database(source).write { db in
                let keys = try rootKeys(identities, source: source, db: db)
                var changes: [FieldChange] = []
                for target in inSource {
                    let query = TableQuery(source: source, table: target.table)
                    var rows: [(key: DatabaseValue, reference: String, old: String?)] = []
                    try forEachRow(query, columns: [target.field.column], rootKeys: keys, db: db) { row in
                        let reference = query.subjectReference(rootKey: row["rk_root"])
                        var old = text(row[target.field.column])
                        if target.field.erasure == .encrypt, let sealed = old { old = try vault.decrypt(sealed, subject: reference) }
                        rows.append((row["rk_row"], reference, old))
                    }
                    guard !rows.isEmpty else { continue }
                    let sql = "UPDATE \(quoted(target.table.name)) SET \(quoted(target.field.column)) = ? WHERE \(quoted(target.table.key)) = ?"
                    for row in rows {
                        let stored = target.field.erasure == .encrypt ? try vault.encrypt(value, subject: row.reference) : value
                        log?.record(source: source.name, sql: sql, argumentCount: 2)
                        try db.execute(sql: sql, arguments: [stored, row.key])
                    }
                    let olds = rows.compactMap(\.old).filter { !$0.isEmpty }
                    changes.append(FieldChange(
                        source: source.name, table: target.table.name, column: target.field.column, category: target.field.category,
                        rows: rows.count, oldFingerprints: olds.map(fingerprint), newFingerprint: fingerprint(value), supplemented: olds.isEmpty
                    ))
                }
                return changes
            }
        }
        return changes.isEmpty ? .notHeld : .corrected(changes)
    }
}
