import Foundation
import GRDB
import RightsKernel

/// Compares a source's mapped tables and columns with the database's real schema.
struct SchemaCheck {
    var errors: [ConfigError] = []
    var warnings: [ConfigError] = []

    init(source: DataSourceMap, db: Database) throws {
        let tableNames = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        var columns: [String: Set<String>] = [:]
        for table in source.tables {
            guard tableNames.contains(table.name) else {
                let hint = Spelling.closest(to: table.name, in: tableNames).map { " (did you mean '\($0)'?)" } ?? ""
                errors.append(table.location.error("table '\(table.name)' does not exist in \(source.path)\(hint)"))
                continue
            }
            columns[table.name] = Set(try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table.name)))").map { $0["name"] as String })
        }
        if let registry = source.consentRegistry, let own = columns[registry.table] {
            for column in [registry.purposeColumn, registry.withdrawnColumn] where !own.contains(column) {
                errors.append(registry.location.error("consent registry column '\(column)' does not exist in table '\(registry.table)'"))
            }
        }
        for table in source.tables {
            guard let own = columns[table.name] else { continue }
            func require(_ column: String, at location: ConfigLocation, role: String, in tableName: String? = nil, of available: Set<String>? = nil) {
                let pool = available ?? own
                if column == "rowid" || pool.contains(column) { return }
                let hint = Spelling.closest(to: column, in: pool).map { " (did you mean '\($0)'?)" } ?? ""
                errors.append(location.error("\(role) column '\(column)' does not exist in table '\(tableName ?? table.name)'\(hint)"))
            }
            require(table.key, at: table.location, role: "key")
            switch table.link {
            case .identities(let identities):
                for (_, column) in identities.sorted(by: { $0.key < $1.key }) {
                    require(column, at: table.linkLocation, role: "identity")
                    if own.contains(column), try !isIndexed(column, table: table.name, db: db) {
                        warnings.append(table.linkLocation.error("identity column '\(table.name).\(column)' has no index; finding a subject scans the table"))
                    }
                }
            case .parent(let column, let parent, let referenced):
                require(column, at: table.linkLocation, role: "link")
                if let parentColumns = columns[parent] {
                    require(referenced, at: table.linkLocation, role: "referenced", in: parent, of: parentColumns)
                }
                if own.contains(column), try !isIndexed(column, table: table.name, db: db) {
                    warnings.append(table.linkLocation.error("link column '\(table.name).\(column)' has no index; finding a subject scans the table"))
                }
            }
            for field in table.fields {
                require(field.column, at: field.location, role: "field")
                if let retention = field.retention { require(retention.from, at: retention.location, role: "retention date") }
            }
            if let retention = table.retention { require(retention.from, at: retention.location, role: "retention date") }
            if let productColumn = table.productColumn { require(productColumn, at: table.location, role: "product") }
            if case .status(let column, _) = table.cancellation { require(column, at: table.location, role: "cancellation status") }
            if let deleting = table.fields.first(where: { $0.erasure == .deleteRow }) {
                let references = try Self.unmappedReferences(to: table, in: source, tableNames: tableNames, db: db)
                if !references.isEmpty {
                    errors.append(deleting.location.error("erase: rows of '\(table.name)' are referred to by \(references.joined(separator: ", ")), which the data map does not link to it, so deleting them would fail; map that table with `link: { column: …, references: \(table.name).\(table.key) }`, or erase these fields in place (`null`, `hmac`, `{ fixed: … }`)"))
                }
            }
            // A strategy the column cannot take fails at the first erasure: refuse it here.
            let info = try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table.name)))")
            for field in table.fields {
                guard let column = info.first(where: { ($0["name"] as String) == field.column }) else { continue }
                let notNull = (column["notnull"] as Int) == 1 || (column["pk"] as Int) > 0
                let type = ((column["type"] as String?) ?? "").uppercased()
                switch field.erasure {
                case .null where notNull:
                    errors.append(field.location.error("erase: column '\(table.name).\(field.column)' is NOT NULL, so `null` would fail at the first erasure; use `{ fixed: … }`, `hmac` or `delete-row`"))
                case .fixed(let value) where type.contains("INT") && Int(value) == nil:
                    errors.append(field.location.error("erase: column '\(table.name).\(field.column)' holds integers, so `{ fixed: \(value) }` does not fit; use a number, `null` or `delete-row`"))
                case .fixed(let value) where (type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB")) && Double(value) == nil:
                    errors.append(field.location.error("erase: column '\(table.name).\(field.column)' holds numbers, so `{ fixed: \(value) }` does not fit; use a number, `null` or `delete-row`"))
                default:
                    break
                }
            }
        }
    }

    /// Rows of a table the map does not link (or links by another column) that refer to a mapped
    /// table by a foreign key: deleting the referenced rows would fail at the first erasure.
    static func unmappedReferences(to table: MappedTable, in source: DataSourceMap, tableNames: [String], db: Database) throws -> [String] {
        var found: [String] = []
        for other in tableNames where !other.hasPrefix("sqlite_") && !other.hasPrefix("rightskit_") {
            for key in try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(quoted(other)))") where (key["table"] as String) == table.name {
                let column: String = key["from"]
                let mapped = source.table(other).map { mapped -> Bool in
                    if case .parent(let linkColumn, let parent, _) = mapped.link { return linkColumn == column && parent == table.name }
                    return false
                } ?? false
                if !mapped { found.append("\(other).\(column)") }
            }
        }
        return found
    }

    private func isIndexed(_ column: String, table: String, db: Database) throws -> Bool {
        if try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table)))").contains(where: { ($0["name"] as String) == column && ($0["pk"] as Int) == 1 }) {
            return true
        }
        for index in try Row.fetchAll(db, sql: "PRAGMA index_list(\(quoted(table)))") {
            let name: String = index["name"]
            let first = try Row.fetchOne(db, sql: "PRAGMA index_info(\(quoted(name)))")
            if first?["name"] == column { return true }
        }
        return false
    }
}

/// A configuration name quoted as an SQL identifier; names are validated at load, and any
/// quote is doubled all the same.
func quoted(_ name: String) -> String {
    name.contains("\"") ? "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : "\"" + name + "\""
}
