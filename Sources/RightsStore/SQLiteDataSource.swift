import Foundation
import GRDB
import Logging
public import RightsKernel
public import RightsStorage

extension DataMapService {
    /// The data service over SQLite files, each checked against its map. `readOnly` (for
    /// `check-config`) opens everything read-only and creates nothing: a missing vault is then
    /// checked as empty. A file that is not an SQLite database is a load error at its key.
    /// `vault` opens the key vault where the map keeps it (by default the map's SQLite file).
    public static func sqlite(
        map: DataMap, statementLog: StatementLog? = nil, readOnly: Bool = false,
        vault: (@Sendable () async throws -> SubjectKeyVault)? = nil
    ) async throws -> DataMapService {
        try await open(
            map: map, connectorName: "SQLite", statementLog: statementLog,
            openSource: { source in try SQLiteExecutor.dataSource(source, readOnly: readOnly) },
            openVault: {
                if let vault { return try await vault() }
                return try await SubjectKeyVault.sqlite(
                    path: map.vaultPath, checking: readOnly, location: map.vaultLocation ?? map.location)
            })
    }
}

extension SubjectKeyVault {
    /// The vault in its own SQLite file, created (0600) on first use; `checking` opens an
    /// existing file read-only and reads an absent one as empty. A destroyed key is
    /// overwritten with zeros, not left in a free page (`secure_delete`, and a rollback
    /// journal, so no WAL keeps an old copy either).
    public static func sqlite(path: String, checking: Bool = false, location: ConfigLocation? = nil) async throws -> SubjectKeyVault {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let database: DatabaseQueue
            if checking {
                configuration.readonly = true
                database =
                    try FileManager.default.fileExists(atPath: path)
                    ? DatabaseQueue(path: path, configuration: configuration) : DatabaseQueue()
            } else {
                try PrivateFiles.prepareDatabase(atPath: path)
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON; PRAGMA journal_mode = DELETE") }
                database = try DatabaseQueue(path: path, configuration: configuration)
            }
            return try await open(SQLiteExecutor(database: database), checking: checking)
        } catch let error as DatabaseError {
            guard let location else { throw error }
            throw ConfigErrors([location.error("vault: \(path) cannot be opened as the key vault (\(SQLiteExecutor.reason(error)))")])
        }
    }
}

extension SQLiteExecutor {
    /// One of the organisation's SQLite databases, as a data map source names it; a missing
    /// file or one that is not a database is a load error at the source.
    static func dataSource(_ source: DataSourceMap, readOnly: Bool) throws -> SQLiteExecutor {
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw source.location.error(
                "the database file \(source.path) does not exist; RightsKit never creates an organisation's database (`rightskit demo seed` writes the sample one)"
            )
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = readOnly
        do {
            let database = try DatabaseQueue(path: source.path, configuration: configuration)
            _ = try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return SQLiteExecutor(database: database)
        } catch let error as DatabaseError {
            throw source.location.error("\(source.path) cannot be opened as an SQLite database (\(reason(error)))")
        }
    }

    /// SQLite's reason without its SQL or values.
    static func reason(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_NOTADB: "the file is not a database"
        case .SQLITE_CANTOPEN: "it cannot be opened"
        case .SQLITE_CORRUPT: "the database is corrupt"
        case .SQLITE_READONLY: "it is read-only"
        case .SQLITE_PERM, .SQLITE_AUTH: "permission denied"
        default: "SQLite error \(error.resultCode.rawValue)"
        }
    }
}

extension SchemaFacts {
    /// The facts of an SQLite database, from its `PRAGMA`s.
    static func sqlite(_ db: Database) throws -> SchemaFacts {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        var columns: [String: [Column]] = [:]
        var indexed: [String: Set<String>] = [:]
        var references: [Reference] = []
        var unique: [String: Set<String>] = [:]
        for table in tables {
            let info = try Row.fetchAll(db, sql: "PRAGMA table_info(\(quoted(table)))")
            columns[table] = info.map { column in
                let declared = (column["type"] as String?) ?? ""
                let type = declared.uppercased()
                let storage: Storage =
                    type.contains("INT")
                    ? .integer
                    : (type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB"))
                        ? .real : (type.contains("CHAR") || type.contains("TEXT") || type.contains("CLOB")) ? .text : .other
                return Column(
                    name: column["name"], type: declared, storage: storage,
                    notNull: (column["notnull"] as Int) == 1 || (column["pk"] as Int) > 0, primaryKey: (column["pk"] as Int) > 0)
            }
            indexed[table] = Set(info.filter { ($0["pk"] as Int) == 1 }.map { $0["name"] as String })
            for index in try Row.fetchAll(db, sql: "PRAGMA index_list(\(quoted(table)))") {
                let columns = try Row.fetchAll(db, sql: "PRAGMA index_info(\(quoted(index["name"] as String)))")
                if let first = columns.first?["name"] as String? {
                    indexed[table, default: []].insert(first)
                    if columns.count == 1, (index["unique"] as Int) == 1 { unique[table, default: []].insert(first) }
                }
            }
            let keys = info.filter { ($0["pk"] as Int) > 0 }
            if keys.count == 1, let key = keys.first?["name"] as String? { unique[table, default: []].insert(key) }
            if !table.hasPrefix("sqlite_") {
                for key in try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(quoted(table)))") {
                    references.append(Reference(table: table, column: key["from"], parent: key["table"], parentColumn: key["to"]))
                }
            }
        }
        var facts = SchemaFacts(tables: tables, columns: columns, indexedColumns: indexed, references: references, rowidKeys: true)
        facts.uniqueColumns = unique
        return facts
    }
}
