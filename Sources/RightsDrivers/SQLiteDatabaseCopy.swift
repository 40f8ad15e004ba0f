import Foundation
import GRDB
public import Logging
import PostgresNIO
import RightsKernel
public import RightsPostgres

/// Copies an SQLite database into PostgreSQL: its tables with their columns, primary keys, NOT
/// NULL constraints, foreign keys (with their ON DELETE action) and indexes, then its rows. The
/// sample business database reaches PostgreSQL this way (`rightskit demo seed --postgres`), and
/// the data-map tests run the same fixtures on both databases.
public struct SQLiteDatabaseCopy: Sendable {
    /// The SQLite file to copy.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    struct Column {
        var name: String
        var type: String
        var notNull: Bool
        var primaryKey: Int
    }

    struct ForeignKey {
        var column: String
        var parent: String
        var parentColumn: String
        var onDelete: String
    }

    struct Table {
        var name: String
        var columns: [Column]
        var foreignKeys: [ForeignKey]
        var indexes: [(name: String, unique: Bool, columns: [String])]
    }

    /// Replaces the tables of the same names in the database at `location` (dropping them first)
    /// with the SQLite database's tables and rows, in one transaction; returns the rows copied
    /// per table.
    @discardableResult
    public func copy(into location: PostgresLocation, logger unlimited: Logger) async throws -> [String: Int] {
        let logger = unlimited.forDatabaseDriver
        var configuration = Configuration()
        configuration.readonly = true
        let source = try DatabaseQueue(path: path, configuration: configuration)
        let tables = try await source.read { db in try Self.tables(db) }
        let client = PostgresClient(configuration: try location.configuration(), backgroundLogger: logger)
        try await PostgresStore.probe(location, logger: logger)
        return try await withThrowingTaskGroup(of: [String: Int]?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            let counts = try await client.withTransaction(logger: logger) { connection -> [String: Int] in
                for table in tables.reversed() {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(Self.quoted(table.name)) CASCADE"), logger: logger)
                }
                var counts: [String: Int] = [:]
                for table in tables {
                    try await connection.query(PostgresQuery(unsafeSQL: Self.create(table)), logger: logger)
                    counts[table.name] = try await Self.copyRows(of: table, from: source, to: connection, logger: logger)
                    for index in table.indexes {
                        let columns = index.columns.map(Self.quoted).joined(separator: ", ")
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL:
                                    "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(Self.quoted(index.name)) ON \(Self.quoted(table.name)) (\(columns))"
                            ), logger: logger)
                    }
                    if let key = Self.identityKey(table) {
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL: """
                                    SELECT setval(pg_get_serial_sequence('\(Self.quoted(table.name))', '\(key)'), GREATEST((SELECT MAX(\(Self.quoted(key))) FROM \(Self.quoted(table.name))), 1))
                                    """), logger: logger)
                    }
                }
                return counts
            }
            return counts
        }
    }

    /// The tables, parents before the tables whose foreign keys refer to them.
    static func tables(_ db: Database) throws -> [Table] {
        let names = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        var tables: [Table] = []
        for name in names {
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(name)))").map {
                Column(
                    name: $0["name"], type: (($0["type"] as String?) ?? "").uppercased(), notNull: ($0["notnull"] as Int) == 1,
                    primaryKey: $0["pk"])
            }
            let keys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(quoted(name)))").map {
                ForeignKey(column: $0["from"], parent: $0["table"], parentColumn: ($0["to"] as String?) ?? "", onDelete: $0["on_delete"])
            }
            var indexes: [(String, Bool, [String])] = []
            for index in try Row.fetchAll(db, sql: "PRAGMA index_list(\(quoted(name)))")
            where (index["origin"] as String) != "pk" && (index["partial"] as Int) == 0 {
                let indexName: String = index["name"]
                let columns = try Row.fetchAll(db, sql: "PRAGMA index_info(\(quoted(indexName)))").compactMap { $0["name"] as String? }
                let pgName = indexName.hasPrefix("sqlite_autoindex_") ? "\(name)_\(columns.joined(separator: "_"))_key" : indexName
                indexes.append((pgName, (index["unique"] as Int) == 1, columns))
            }
            tables.append(Table(name: name, columns: columns, foreignKeys: keys, indexes: indexes))
        }
        // Parents first (a table referring to itself does not wait for itself).
        var ordered: [Table] = []
        var pending = tables
        while !pending.isEmpty {
            let placed = Set(ordered.map(\.name))
            guard
                let next = pending.firstIndex(where: { table in
                    table.foreignKeys.allSatisfy { placed.contains($0.parent) || $0.parent == table.name }
                })
            else {
                ordered += pending  // a cycle: keep the rest in name order
                break
            }
            ordered.append(pending.remove(at: next))
        }
        return ordered
    }

    /// The single integer primary key that numbers new rows, if the table has one.
    static func identityKey(_ table: Table) -> String? {
        let keys = table.columns.filter { $0.primaryKey > 0 }
        guard keys.count == 1, keys[0].type.contains("INT") else { return nil }
        return keys[0].name
    }

    static func pgType(_ type: String) -> String {
        if type.contains("INT") { return "BIGINT" }
        if type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT") || type.isEmpty { return "TEXT" }
        if type.contains("BLOB") { return "BYTEA" }
        if type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB") || type.contains("NUM") || type.contains("DEC") {
            return "DOUBLE PRECISION"
        }
        return "TEXT"
    }

    static func create(_ table: Table) -> String {
        let identity = identityKey(table)
        var parts = table.columns.map { column -> String in
            var part = "\(quoted(column.name)) \(pgType(column.type))"
            if column.name == identity { part += " GENERATED BY DEFAULT AS IDENTITY" }
            if column.notNull { part += " NOT NULL" }
            return part
        }
        let keys = table.columns.filter { $0.primaryKey > 0 }.sorted { $0.primaryKey < $1.primaryKey }.map(\.name)
        if !keys.isEmpty { parts.append("PRIMARY KEY (\(keys.map(quoted).joined(separator: ", ")))") }
        for key in table.foreignKeys {
            let parentKey = key.parentColumn.isEmpty ? "" : " (\(quoted(key.parentColumn)))"
            let action = ["CASCADE", "SET NULL", "RESTRICT", "SET DEFAULT"].contains(key.onDelete) ? " ON DELETE \(key.onDelete)" : ""
            parts.append("FOREIGN KEY (\(quoted(key.column))) REFERENCES \(quoted(key.parent))\(parentKey)\(action)")
        }
        return "CREATE TABLE \(quoted(table.name)) (\(parts.joined(separator: ", ")))"
    }

    /// Copies the rows, 500 to a statement.
    static func copyRows(of table: Table, from source: DatabaseQueue, to connection: PostgresConnection, logger: Logger) async throws -> Int
    {
        let names = table.columns.map(\.name)
        let list = names.map(quoted).joined(separator: ", ")
        let types = table.columns.map { pgType($0.type) }
        var copied = 0
        var after: Int64 = .min
        while true {
            let rows = try source.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT rowid AS rk_rowid, \(list) FROM \(quoted(table.name)) WHERE rowid > ? ORDER BY rowid LIMIT 500",
                    arguments: [after])
            }
            guard let last = rows.last else { return copied }
            after = last["rk_rowid"]
            var bindings = PostgresBindings()
            var tuples: [String] = []
            for row in rows {
                var placeholders: [String] = []
                for (index, name) in names.enumerated() {
                    try bind(row[name] as DatabaseValue, as: types[index], into: &bindings)
                    placeholders.append("$\(bindings.count)")
                }
                tuples.append("(\(placeholders.joined(separator: ", ")))")
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(quoted(table.name)) (\(list)) VALUES \(tuples.joined(separator: ", "))", binds: bindings),
                logger: logger)
            copied += rows.count
        }
    }

    /// Binds an SQLite value as the column's PostgreSQL type (SQLite lets a column hold any type).
    static func bind(_ value: DatabaseValue, as type: String, into bindings: inout PostgresBindings) throws {
        switch (value.storage, type) {
        case (.null, _): bindings.appendNull()
        case (.int64(let number), "BIGINT"): bindings.append(Int(number))
        case (.int64(let number), "DOUBLE PRECISION"): bindings.append(Double(number))
        case (.double(let number), "DOUBLE PRECISION"): bindings.append(number)
        case (.double(let number), "BIGINT"): bindings.append(Int(number))
        case (.blob(let data), "BYTEA"): try bindings.append(data)
        case (.blob(let data), _): bindings.append(data.base64EncodedString())
        case (.string(let text), "BIGINT"):
            guard let number = Int(text) else {
                throw Mismatch(description: "a text value in an integer column cannot be copied as an integer")
            }
            bindings.append(number)
        case (.string(let text), "DOUBLE PRECISION"):
            guard let number = Double(text) else {
                throw Mismatch(description: "a text value in a numeric column cannot be copied as a number")
            }
            bindings.append(number)
        case (.int64(let number), _): bindings.append(String(number))
        case (.double(let number), _): bindings.append(String(number))
        case (.string(let text), _): bindings.append(text)
        }
    }

    /// A value SQLite held that its column's PostgreSQL type cannot (never the value itself).
    public struct Mismatch: Error, CustomStringConvertible {
        public let description: String
    }

    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
