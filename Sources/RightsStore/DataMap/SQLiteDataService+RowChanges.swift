import Foundation
import GRDB
import RightsKernel

/// The changes erasure makes to one row of the organisation's database, shared by the erasure
/// itself, account cancellation and the sweep of lifted restrictions.
extension SQLiteDataService {
    /// The basis recorded for a row kept only because rows under retention still refer to it;
    /// the sweep deletes it once nothing does.
    package static let referencedBasis = "referenced by retained records"

    /// Records that `columns` of one row are restricted on `basis` until `liftsAt` (nil: no date).
    static func recordRestriction(
        table: String, rowKey: DatabaseValue, columns: [String], basis: String, liftsAt: Date?, request: RequestID, at time: Date,
        db: Database
    ) throws {
        try db.execute(
            sql:
                "INSERT INTO rightskit_restrictions (table_name, row_key, columns, basis, lifts_at, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                table, text(rowKey) ?? "", columns.joined(separator: ","), basis, liftsAt?.timeIntervalSince1970, request.rawValue,
                time.timeIntervalSince1970,
            ]
        )
    }

    /// Deletes one row in a savepoint; false, with nothing changed, when rows kept elsewhere
    /// still refer to it.
    func deleteRow(_ key: any DatabaseValueConvertible, of table: MappedTable, source: DataSourceMap, db: Database) throws -> Bool {
        let sql = "DELETE FROM \(quoted(table.name)) WHERE \(quoted(table.key)) = ?"
        log?.record(source: source.name, sql: sql, argumentCount: 1)
        do {
            try db.inSavepoint {
                try db.execute(sql: sql, arguments: [key])
                return .commit
            }
            return true
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return false
        }
    }

    /// Overwrites fields of one row in place by their strategies (NULL, a fixed text, a keyed
    /// hash of the `current` value); `encrypt` and `restrict` fields are left to their own
    /// handling. Returns the fields overwritten.
    @discardableResult
    func overwrite(
        _ fields: [MappedField], current: Row, key: any DatabaseValueConvertible, of table: MappedTable, source: DataSourceMap, db: Database
    ) throws -> [MappedField] {
        var overwritten: [MappedField] = []
        var assignments: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        for field in fields {
            switch field.erasure {
            case .null, .deleteRow: values.append(nil)
            case .fixed(let replacement): values.append(replacement)
            case .hmac: values.append(text(current[field.column]).map(vault.hmac))
            case .encrypt, .restrict: continue
            }
            assignments.append("\(quoted(field.column)) = ?")
            overwritten.append(field)
        }
        guard !assignments.isEmpty else { return [] }
        let sql = "UPDATE \(quoted(table.name)) SET \(assignments.joined(separator: ", ")) WHERE \(quoted(table.key)) = ?"
        log?.record(source: source.name, sql: sql, argumentCount: values.count + 1)
        try db.execute(sql: sql, arguments: StatementArguments(values + [key]))
        return overwritten
    }
}
