import Foundation
import Logging
import NIOCore
import PostgresNIO
import RightsKernel
import RightsStorage

/// The storage core's executor over a pool of PostgreSQL connections: statements bound as
/// `$1…`, transactions on one pooled connection, snapshots in `REPEATABLE READ`, row locks and
/// `SKIP LOCKED` for claims, and advisory locks where SQLite's single writer would serialise.
final class PostgresExecutor: DataSourceExecutor {
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>

    let dialect = SQLDialect.postgres

    /// Starts the pool's run loop; ``close()`` ends it.
    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        running = Task { await client.run() }
    }

    deinit { running.cancel() }

    func close() async {
        running.cancel()
        _ = await running.result
    }

    func query(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await Self.rows { try await client.query(statement.postgresQuery, logger: logger) }
    }

    func transaction<Result: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        try await withTransaction { connection in try await body(Connection(connection: connection, logger: self.logger)) }
    }

    func snapshot<Result: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        try await withTransaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
            return try await body(Connection(connection: connection, logger: self.logger))
        }
    }

    /// Runs `body` in one transaction, rethrowing its own error (a conflict, a quota) rather
    /// than the driver's wrapper.
    func withTransaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    /// One connection inside a transaction.
    private struct Connection: SQLConnection {
        let connection: PostgresConnection
        let logger: Logger

        func query(_ statement: SQLStatement) async throws -> [SQLRow] {
            try await PostgresExecutor.rows { try await connection.query(statement.postgresQuery, logger: logger) }
        }

        /// Several writes in one round trip: each a part of one `WITH`, counted by the final
        /// `SELECT` where it returns rows.
        func apply(_ writes: [SQLStatement]) async throws -> [Int] {
            if writes.count < 2 { return try await applyOneByOne(writes) }
            var parts: [SQLStatement] = []
            var counted: [SQLStatement] = []
            for (index, write) in writes.enumerated() {
                parts.append("w\(raw: String(index)) AS (" + write + ")")
                counted.append(write.returnsRows ? "(SELECT COUNT(*) FROM w\(raw: String(index)))" : "0")
            }
            let combined: SQLStatement = "WITH " + .joined(parts, separator: ", ") + " SELECT " + .joined(counted, separator: ", ")
            guard let row = try await query(combined).first else { return writes.map { _ in 0 } }
            return try writes.indices.map { try row.decode(at: $0, as: Int.self) }
        }

        func statementsSent(applying count: Int) -> Int { min(count, 1) }

        /// The rows as the server streams them.
        func forEachRow(_ statement: SQLStatement, _ body: (SQLRow) throws -> Void) async throws {
            try await PostgresExecutor.translatingErrors {
                for try await row in try await connection.query(statement.postgresQuery, logger: logger) {
                    try body(try SQLRow(row))
                }
            }
        }
    }

    static func rows(_ run: () async throws -> PostgresRowSequence) async throws -> [SQLRow] {
        try await translatingErrors {
            var rows: [SQLRow] = []
            for try await row in try await run() { rows.append(try SQLRow(row)) }
            return rows
        }
    }

    /// Runs `body`, turning the server's constraint errors into the core's.
    static func translatingErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw UniqueConstraintViolation()
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw ForeignKeyViolation()
        }
    }
}

extension SQLRow {
    /// A row of postgres-nio's, in the core's value kinds.
    init(_ row: PostgresRow) throws {
        var columns: [String] = []
        var values: [SQLValue] = []
        for cell in row {
            columns.append(cell.columnName)
            values.append(try cell.sqlValue)
        }
        self.init(columns: columns, values: values)
    }
}

extension SQLStatement {
    /// Whether the statement has a `RETURNING` clause (so, as part of a `WITH`, it can be counted);
    /// the storage core writes its SQL keywords in capitals.
    var returnsRows: Bool {
        fragments.contains { if case .text(let text) = $0 { text.contains("RETURNING") } else { false } }
    }

    /// The statement as postgres-nio sends it: `$n` placeholders and typed binds.
    /// A value for a column of the organisation's database is bound as its text and cast to the
    /// column's declared type (`$1::text::bigint`), so any column type takes it as SQLite would.
    var postgresQuery: PostgresQuery {
        var bindings = PostgresBindings(capacity: values.count)
        for fragment in fragments {
            switch fragment {
            case .text: continue
            case .columnValue(let value, _):
                if let text = value.text { bindings.append(text) } else { bindings.appendNull() }
            case .value(let value):
                switch value {
                case .null: bindings.appendNull()
                case .integer(let value): bindings.append(value)
                case .real(let value): bindings.append(value)
                case .text(let value): bindings.append(value)
                case .blob(let value): bindings.append(ByteBuffer(bytes: value))
                case .boolean(let value): bindings.append(value)
                }
            }
        }
        return PostgresQuery(
            unsafeSQL: typedText { number, type in type.map { "$\(number)::text::\($0)" } ?? "$\(number)" }, binds: bindings)
    }
}

extension PostgresCell {
    /// The cell in the storage core's value kinds.
    var sqlValue: SQLValue {
        get throws {
            guard bytes != nil else { return .null }
            return switch dataType {
            case .int2: .integer(Int64(try decode(Int16.self)))
            case .int4: .integer(Int64(try decode(Int32.self)))
            case .int8: .integer(try decode(Int64.self))
            case .float4: .real(Double(try decode(Float.self)))
            case .float8: .real(try decode(Double.self))
            case .bool: .boolean(try decode(Bool.self))
            case .bytea: .blob(Data(try decode(ByteBuffer.self).readableBytesView))
            case .numeric: .real(NSDecimalNumber(decimal: try decode(Decimal.self)).doubleValue)
            case .timestamptz: .text(Timestamp.string(try decode(Date.self)))
            // Without a zone, as SQLite would keep them: read as local to the deployment.
            case .timestamp: .text(Self.localFormat("yyyy-MM-dd'T'HH:mm:ss", try decode(Date.self)))
            case .date: .text(Self.localFormat("yyyy-MM-dd", try decode(Date.self)))
            case .uuid: .text(try decode(UUID.self).uuidString.lowercased())
            case .void: .null
            default: .text(try decode(String.self))
            }
        }
    }
}

extension PostgresCell {
    /// A zone-less value PostgreSQL decoded as UTC, written back as the text it stood for.
    static func localFormat(_ pattern: String, _ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}

extension PostgresRowSequence {
    /// Whether the statement returned any row (`… RETURNING 1` for "did it apply").
    func hasRows() async throws -> Bool {
        for try await _ in self { return true }
        return false
    }
}

extension AsyncSequence where Self: Sendable {
    /// Every element, in order.
    func collect() async throws -> [Element] {
        var all: [Element] = []
        for try await element in self { all.append(element) }
        return all
    }
}

extension PSQLError {
    /// The server's SQLSTATE, such as 23505 for a unique violation.
    var sqlState: String? { serverInfo?[.sqlState] }
}

extension SQLDialect {
    /// PostgreSQL's SQL where the two databases differ.
    static let postgres: SQLDialect = {
        var dialect = SQLDialect(
            lockForUpdate: " FOR UPDATE", lockSkippingLocked: " FOR UPDATE SKIP LOCKED", filingOrder: "seq",
            jsonField: { column, field in "(\(column)::jsonb ->> '\(field)')" },
            transactionLock: { key, shared in
                let function = shared ? "pg_advisory_xact_lock_shared" : "pg_advisory_xact_lock"
                return switch key {
                case .number(let number): "\(raw: function)(\(number))"
                case .text(let text): "\(raw: function)(hashtextextended(\(text), 7))"
                }
            },
            chainsAuditInTransaction: false,
            sha256Hex: { expression in "encode(sha256(convert_to(\(expression), 'UTF8')), 'hex')" },
            autoIncrementKey: "BIGSERIAL PRIMARY KEY", realType: "DOUBLE PRECISION", blobType: "BYTEA", filterOnly: "",
            tableExists: { table in
                """
                SELECT COUNT(*) AS found FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relname = \(table) AND c.relkind IN ('r', 'p')
                """
            },
            readsHoldWritersBack: false,
            continueNumbering: { table, column in
                "SELECT setval(pg_get_serial_sequence(\(table), \(column)), GREATEST((SELECT MAX(\(raw: column)) FROM \(raw: table)), 1))"
            })
        dialect.pageSample = { percent in "TABLESAMPLE SYSTEM (\(percent))" }
        return dialect
    }()
}
