import Foundation
import GRDB
import PostgresNIO
import RightsKernel
import RightsStore
import Synchronization

extension PostgresDataService {
    /// The keys of the root rows the identities match, per root table. An identity that cannot
    /// be a value of its column (letters for an integer column) matches nothing.
    func rootKeys(_ identities: [SubjectIdentity], source: DataSourceMap, on connection: PostgresConnection) async throws -> [String:
        [DatabaseValue]]
    {
        var result: [String: [DatabaseValue]] = [:]
        for table in source.tables {
            guard case .identities(let columns) = table.link else { continue }
            var keys: [DatabaseValue] = []
            var seen: Set<DatabaseValue> = []
            for identity in identities {
                guard let column = columns[identity.kind] else { continue }
                let type = type(source, table.name, column)
                let values = Array(Set([identity.value, identity.normalisedValue])).sorted().filter {
                    type.storage != .integer || Int64($0) != nil
                }
                guard !values.isEmpty else { continue }
                var query = BoundQuery()
                let marks = values.map { query.mark($0.databaseValue, as: type) }.joined(separator: ", ")
                query.append("SELECT \(quoted(table.key)) AS rk FROM \(quoted(table.name)) WHERE \(quoted(column)) IN (\(marks))")
                for try await row in try await connection.query(query.query, logger: logger) {
                    let key = try row.makeRandomAccess()[value: "rk"]
                    if seen.insert(key).inserted { keys.append(key) }
                }
            }
            result[table.name] = keys
        }
        return result
    }

    /// Visits each of the subject's rows of a table with the requested columns, streaming;
    /// `rows` narrows the visit to those row keys (a batch).
    func forEachRow(
        _ query: TableQuery,
        columns: [String],
        rootKeys: [String: [DatabaseValue]],
        products: [String]? = nil,
        rows: [DatabaseValue] = [],
        on connection: PostgresConnection,
        _ body: (PostgresRandomAccessRow) throws -> Void
    ) async throws {
        guard let keys = rootKeys[query.root.name], !keys.isEmpty else { return }
        let products = query.productTable == nil ? [] : (products ?? [])
        let rootType = type(query.source, query.root.name, query.root.key)
        let rowType = type(query.source, query.table.name, query.table.key)
        let productType =
            query.productTable.map { type(query.source, query.chain[$0.index].name, $0.column) } ?? ColumnType(name: "text", storage: .text)
        for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
            var bound = BoundQuery()
            var marks: [String] = []
            for key in chunk { marks.append(bound.mark(key, as: rootType)) }
            for product in products { marks.append(bound.mark(product.databaseValue, as: productType)) }
            for key in rows { marks.append(bound.mark(key, as: rowType)) }
            // The builder's `$n` become the typed marks, in the same order.
            bound.append(
                Self.typed(
                    query.select(columns, rootKeyCount: chunk.count, productCount: products.count, rowKeyCount: rows.count, numbered: true),
                    marks))
            for try await row in try await connection.query(bound.query, logger: logger) { try body(row.makeRandomAccess()) }
        }
    }

    /// `sql` with each `$n` replaced by `marks[n - 1]` (the same placeholder with its cast).
    static func typed(_ sql: String, _ marks: [String]) -> String {
        var result = ""
        var characters = sql[...]
        while let dollar = characters.firstIndex(of: "$") {
            result += characters[..<dollar]
            let digits = characters[characters.index(after: dollar)...].prefix { $0.isNumber }
            if let number = Int(digits), (1...marks.count).contains(number) {
                result += marks[number - 1]
            } else {
                result += "$" + digits
            }
            characters = characters[digits.endIndex...]
        }
        return result + characters
    }

    /// A row as the SQLite connector's planning reads it.
    static func row(_ row: PostgresRandomAccessRow, columns: [String]) throws -> Row {
        var values: [String: (any DatabaseValueConvertible)?] = [:]
        for column in ["rk_row", "rk_root"] + columns { values[column] = try row[value: column] }
        return Row(values)
    }

    /// Makes sure a source has the tables RightsKit keeps there, once per service: the first
    /// operation that writes to a source creates them, later ones go straight to work.
    func prepareHostTables(_ source: DataSourceMap) async throws {
        guard !hostTablesReady.withLock({ $0.contains(source.name) }) else { return }
        try await transaction(source) { connection in try await createHostTables(on: connection) }
        hostTablesReady.withLock { _ = $0.insert(source.name) }
    }

    /// The tables RightsKit keeps in the organisation's database for the host to read, created
    /// under a lock so instances starting together do not race on them.
    func createHostTables(on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.hostTablesLock))", logger: logger)
        for statement in [
            """
            CREATE TABLE IF NOT EXISTS rightskit_journal (
                request_id TEXT NOT NULL, operation TEXT NOT NULL, report TEXT NOT NULL, done_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (request_id, operation))
            """,
            "CREATE TABLE IF NOT EXISTS rightskit_progress (request_id TEXT NOT NULL, operation TEXT NOT NULL, cursor TEXT NOT NULL, PRIMARY KEY (request_id, operation))",
            """
            CREATE TABLE IF NOT EXISTS rightskit_restrictions (
                id BIGSERIAL PRIMARY KEY, table_name TEXT NOT NULL, row_key TEXT NOT NULL, columns TEXT NOT NULL,
                basis TEXT NOT NULL, lifts_at DOUBLE PRECISION, request_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS rightskit_restrictions_by_row ON rightskit_restrictions (table_name, row_key)",
            """
            CREATE TABLE IF NOT EXISTS rightskit_processing_limits (
                id BIGSERIAL PRIMARY KEY, table_name TEXT NOT NULL, row_key TEXT NOT NULL, purposes TEXT,
                basis TEXT NOT NULL, request_id TEXT NOT NULL, limited_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS rightskit_processing_limits_by_row ON rightskit_processing_limits (table_name, row_key)",
            "CREATE INDEX IF NOT EXISTS rightskit_restrictions_lifting ON rightskit_restrictions (lifts_at) WHERE lifts_at IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS rightskit_restrictions_referenced ON rightskit_restrictions (id) WHERE basis = '\(SQLiteDataService.referencedBasis)'",
        ] {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    static let hostTablesLock: Int64 = 0x5269_6768_7473_4854

    /// The recorded result of an operation done for a request on this source, if it was done.
    func journalled(request: RequestID, operation: String, on connection: PostgresConnection) async throws -> String? {
        try await connection.query(
            "SELECT report FROM rightskit_journal WHERE request_id = \(request.rawValue) AND operation = \(operation)", logger: logger
        )
        .decode(String.self).collect().first
    }

    /// Records an operation's result in the caller's transaction on the source.
    func journal(_ result: String, request: RequestID, operation: String, at time: Date, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO rightskit_journal (request_id, operation, report, done_at) VALUES (\(request.rawValue), \(operation), \(result), \(time.timeIntervalSince1970))
            """, logger: logger)
    }

    /// Records that `columns` of one row are restricted on `basis` until `liftsAt` (nil: no date).
    func recordRestriction(
        table: String, rowKey: DatabaseValue, columns: [String], basis: String, liftsAt: Date?, request: RequestID, at time: Date,
        on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO rightskit_restrictions (table_name, row_key, columns, basis, lifts_at, request_id, created_at)
            VALUES (\(table), \(text(rowKey) ?? ""), \(columns.joined(separator: ",")), \(basis), \(liftsAt?.timeIntervalSince1970), \(request.rawValue), \(time.timeIntervalSince1970))
            """, logger: logger)
    }

    /// Deletes one row in a savepoint; false, with nothing changed, when rows kept elsewhere still
    /// refer to it (a foreign key violation rolls back to the savepoint, not the transaction).
    func deleteRow(_ key: DatabaseValue, of table: MappedTable, source: DataSourceMap, on connection: PostgresConnection) async throws
        -> Bool
    {
        var query = BoundQuery()
        let mark = query.mark(key, as: type(source, table.name, table.key))
        query.append("DELETE FROM \(quoted(table.name)) WHERE \(quoted(table.key)) = \(mark)")
        try await connection.query("SAVEPOINT rightskit_delete", logger: logger)
        do {
            try await connection.query(query.query, logger: logger)
            try await connection.query("RELEASE SAVEPOINT rightskit_delete", logger: logger)
            return true
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            try await connection.query("ROLLBACK TO SAVEPOINT rightskit_delete", logger: logger)
            return false
        }
    }

    /// Overwrites fields of one row in place by their strategies (NULL, a fixed text, a keyed
    /// hash of the `current` value); `encrypt` and `restrict` are left to their own handling.
    @discardableResult
    func overwrite(
        _ fields: [MappedField], current: Row, key: DatabaseValue, of table: MappedTable, source: DataSourceMap,
        on connection: PostgresConnection
    ) async throws -> [MappedField] {
        var overwritten: [MappedField] = []
        var query = BoundQuery()
        var assignments: [String] = []
        for field in fields {
            let value: DatabaseValue
            switch field.erasure {
            case .null, .deleteRow: value = .null
            case .fixed(let replacement): value = replacement.databaseValue
            case .hmac: value = text(current[field.column] as DatabaseValue).map(vault.hmac)?.databaseValue ?? .null
            case .encrypt, .restrict: continue
            }
            assignments.append("\(quoted(field.column)) = \(query.mark(value, as: type(source, table.name, field.column)))")
            overwritten.append(field)
        }
        guard !assignments.isEmpty else { return [] }
        let mark = query.mark(key, as: type(source, table.name, table.key))
        query.append("UPDATE \(quoted(table.name)) SET \(assignments.joined(separator: ", ")) WHERE \(quoted(table.key)) = \(mark)")
        try await connection.query(query.query, logger: logger)
        return overwritten
    }
}
