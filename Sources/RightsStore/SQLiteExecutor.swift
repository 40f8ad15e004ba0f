import Foundation
import GRDB
import RightsStorage

/// The storage core's executor over a GRDB database: statements go to SQLite's one writer
/// connection (or, for a plain read of a pool, to a reader), and a transaction holds the writer
/// from `BEGIN IMMEDIATE` to `COMMIT` under an ``AsyncGate``, so no other task of this process
/// slips a statement into it; other processes wait on SQLite's own lock (busy timeout).
final class SQLiteExecutor: StorageExecutor {
    let database: any DatabaseWriter
    private let gate = AsyncGate()
    /// A pool reads on its own connections; a queue (in memory) has only the writer.
    private let readsApart: Bool

    let dialect = SQLDialect(
        lockForUpdate: "", lockSkippingLocked: "", filingOrder: "rowid",
        jsonField: { column, field in "json_extract(\(column), '$.\(field)')" },
        transactionLock: nil, chainsAuditInTransaction: true)

    init(database: any DatabaseWriter) {
        self.database = database
        readsApart = database is DatabasePool
    }

    func query(_ statement: SQLStatement) async throws -> [SQLRow] {
        if readsApart, statement.isRead {
            return try await database.read { db in try Self.run(statement, in: db) }
        }
        return try await gate.withGate {
            try await database.writeWithoutTransaction { db in try Self.run(statement, in: db) }
        }
    }

    func transaction<Result: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        try await within("BEGIN IMMEDIATE", body)
    }

    /// A deferred transaction on the writer: no write of this process lands in the middle of
    /// the reads, and SQLite keeps one snapshot for them.
    func snapshot<Result: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        try await within("BEGIN DEFERRED", body)
    }

    private func within<Result: Sendable>(_ begin: String, _ body: @Sendable (any SQLConnection) async throws -> Result) async throws
        -> Result
    {
        try await gate.withGate {
            let connection = Writer(database: database)
            try await database.writeWithoutTransaction { db in try db.execute(sql: begin) }
            do {
                let result = try await body(connection)
                try await database.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
                return result
            } catch {
                try? await database.writeWithoutTransaction { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
                throw error
            }
        }
    }

    /// The writer inside a transaction the gate already holds.
    private struct Writer: SQLConnection {
        let database: any DatabaseWriter

        func query(_ statement: SQLStatement) async throws -> [SQLRow] {
            try await database.writeWithoutTransaction { db in try SQLiteExecutor.run(statement, in: db) }
        }
    }

    static func run(_ statement: SQLStatement, in db: Database) throws -> [SQLRow] {
        let sql = statement.text { _ in "?" }
        let arguments = StatementArguments(statement.values.map(\.databaseValue))
        do {
            let prepared = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchAll(prepared, arguments: arguments)
            guard let first = rows.first else { return [] }
            let columns = Array(first.columnNames)
            return rows.map { row in SQLRow(columns: columns, values: row.databaseValues.map(\.sqlValue)) }
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw UniqueConstraintViolation()
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
