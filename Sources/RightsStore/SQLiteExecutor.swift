import Crypto
import Foundation
import GRDB
import RightsStorage

/// The storage core's executor over a GRDB database. A transaction is one GRDB write (`BEGIN
/// IMMEDIATE` … `COMMIT` on SQLite's one writer connection) inside which the core's algorithm
/// runs on the writer's own thread (``InlineTaskExecutor``), so each statement is a direct call
/// and the write lock is held only for the work; a snapshot is one GRDB read the same way.
/// Plain reads of a pool go to its readers.
final class SQLiteExecutor: DataSourceExecutor {
    let database: any DatabaseWriter

    let dialect = SQLDialect(
        lockForUpdate: "", lockSkippingLocked: "", filingOrder: "rowid",
        jsonField: { column, field in "json_extract(\(column), '$.\(field)')" },
        transactionLock: nil, chainsAuditInTransaction: true,
        sha256Hex: { expression in "\(SQLiteFunctions.sha256Hex.name)(\(expression))" },
        autoIncrementKey: "INTEGER PRIMARY KEY AUTOINCREMENT", realType: "REAL", blobType: "BLOB", filterOnly: "+",
        tableExists: { table in "SELECT COUNT(*) AS found FROM sqlite_master WHERE type = 'table' AND name = \(table)" },
        readsHoldWritersBack: true)

    init(database: any DatabaseWriter) {
        self.database = database
    }

    func query(_ statement: SQLStatement) async throws -> [SQLRow] {
        if statement.isRead {
            return try await database.read { db in try Self.run(statement, in: db) }
        }
        return try await database.writeWithoutTransaction { db in try Self.run(statement, in: db) }
    }

    func transaction<Result: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        try await database.write { db in
            let connection = Connection(database: db)
            return try InlineTaskExecutor.run { try await body(connection) }
        }
    }

    func snapshot<Result: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        guard database is DatabaseQueue else {
            return try await database.read { db in
                let connection = Connection(database: db)
                return try InlineTaskExecutor.run { try await body(connection) }
            }
        }
        // On a queue (an organisation's database), GRDB's `read` toggles `PRAGMA query_only`
        // around the body, which empties the statement cache every time; a deferred transaction
        // keeps prepared statements across requests. The body only reads.
        return try await database.writeWithoutTransaction { db in
            let connection = Connection(database: db)
            var result: Result?
            try db.inTransaction(.deferred) {
                result = try InlineTaskExecutor.run { try await body(connection) }
                return .commit
            }
            guard let result else { throw InlineTaskUnfinished() }
            return result
        }
    }

    func schemaFacts() async throws -> SchemaFacts {
        try await database.read { db in try SchemaFacts.sqlite(db) }
    }

    /// The connection inside a GRDB closure; used only from the closure's own thread, where
    /// the inline executor runs the body.
    private struct Connection: SQLConnection, @unchecked Sendable {
        let database: Database

        func query(_ statement: SQLStatement) async throws -> [SQLRow] {
            try SQLiteExecutor.run(statement, in: database)
        }

        /// A cursor over the first column's values, without building rows.
        func firstColumn(_ statement: SQLStatement) async throws -> [SQLValue] {
            try SQLiteExecutor.translatingConstraints {
                let prepared = try database.cachedStatement(sql: statement.text { _ in "?" })
                let cursor = try DatabaseValue.fetchCursor(prepared, arguments: StatementArguments(statement.values.map(\.databaseValue)))
                var values: [SQLValue] = []
                while let value = try cursor.next() { values.append(value.sqlValue) }
                return values
            }
        }

        /// A cursor over the rows: one row in memory at a time.
        func forEachRow(_ statement: SQLStatement, _ body: (SQLRow) throws -> Void) async throws {
            try SQLiteExecutor.translatingConstraints {
                let prepared = try database.cachedStatement(sql: statement.text { _ in "?" })
                let cursor = try Row.fetchCursor(prepared, arguments: StatementArguments(statement.values.map(\.databaseValue)))
                let columns = prepared.columnNames
                let count = columns.count
                while let row = try cursor.next() {
                    // One array per row: a long read (an erasure's keys) holds a rollback-journal
                    // host's commits back for as long as it takes.
                    var values: [SQLValue] = []
                    values.reserveCapacity(count)
                    for index in 0..<count { values.append((row[index] as DatabaseValue).sqlValue) }
                    try body(SQLRow(columns: columns, values: values))
                }
            }
        }
    }

    static func run(_ statement: SQLStatement, in db: Database) throws -> [SQLRow] {
        try translatingConstraints {
            let prepared = try db.cachedStatement(sql: statement.text { _ in "?" })
            let rows = try Row.fetchAll(prepared, arguments: StatementArguments(statement.values.map(\.databaseValue)))
            guard let first = rows.first else { return [] }
            let columns = Array(first.columnNames)
            return rows.map { row in SQLRow(columns: columns, values: row.databaseValues.map(\.sqlValue)) }
        }
    }

    /// Runs `body`, turning SQLite's constraint errors into the core's.
    static func translatingConstraints<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw UniqueConstraintViolation()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw ForeignKeyViolation()
        }
    }
}

extension SQLStatement {
    /// Whether the statement only reads (so a pool's reader may run it).
    var isRead: Bool {
        guard case .text(let first)? = fragments.first else { return false }
        return first.drop { $0.isWhitespace }.prefix(6).uppercased() == "SELECT"
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .real(let value): value.databaseValue
        case .text(let value): value.databaseValue
        case .blob(let value): value.databaseValue
        case .boolean(let value): (value ? 1 : 0).databaseValue
        }
    }
}

extension DatabaseValue {
    var sqlValue: SQLValue {
        switch storage {
        case .null: .null
        case .int64(let value): .integer(value)
        case .double(let value): .real(value)
        case .string(let value): .text(value)
        case .blob(let value): .blob(value)
        }
    }
}

/// The SQL functions the storage core needs that SQLite lacks, added to every connection.
enum SQLiteFunctions {
    /// `rightskit_sha256(text)`: the lowercase hex SHA-256 of the text's UTF-8 bytes, as
    /// PostgreSQL's `encode(sha256(convert_to(text, 'UTF8')), 'hex')` gives.
    static let sha256Hex = DatabaseFunction("rightskit_sha256", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return nil }
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func add(to db: Database) {
        db.add(function: sha256Hex)
    }
}
