import Foundation
import RightsKernel
import Synchronization

/// Finding the subject's rows, and the changes erasure makes to one row (shared by erasure,
/// account cancellation and the sweep of lifted restrictions).
extension DataMapService {
    /// The basis recorded for a row kept only because rows under retention still refer to it;
    /// the sweep deletes it once nothing does.
    package static let referencedBasis = "referenced by retained records"

    /// The keys of the root rows the identities match, per root table. An identity that cannot
    /// be a value of its column (letters for an integer column) matches nothing.
    func rootKeys(_ identities: [SubjectIdentity], source: DataSourceMap, on connection: any SQLConnection) async throws
        -> [String: [SQLValue]]
    {
        var result: [String: [SQLValue]] = [:]
        for table in source.tables {
            guard case .identities(let columns) = table.link else { continue }
            var keys: [SQLValue] = []
            var seen: Set<SQLValue> = []
            for identity in identities {
                guard let column = columns[identity.kind] else { continue }
                let integers = facts[source.name]?.column(table.name, column)?.storage == .integer
                let values = Array(Set([identity.value, identity.normalisedValue])).sorted().filter { !integers || Int64($0) != nil }
                guard !values.isEmpty else { continue }
                let statement: SQLStatement =
                    "SELECT \(raw: quoted(table.key)) AS rk FROM \(raw: quoted(table.name)) WHERE \(raw: quoted(column)) IN ("
                    + TableQuery.list(values.map { .text($0) }, type: type(source, table.name, column)) + ")"
                record(statement, on: source)
                for row in try await connection.query(statement) where seen.insert(row["rk"]).inserted {
                    keys.append(row["rk"])
                }
            }
            result[table.name] = keys
        }
        return result
    }

    /// Visits each of the subject's rows of a table with the requested columns, streaming;
    /// `rows` narrows the visit to those row keys (a batch).
    func forEachRow(
        _ query: TableQuery, columns: [String], rootKeys: [String: [SQLValue]], products: [String]? = nil, rows: [SQLValue] = [],
        on connection: any SQLConnection, _ body: (SQLRow) throws -> Void
    ) async throws {
        guard let keys = rootKeys[query.root.name], !keys.isEmpty else { return }
        let products = query.productTable == nil ? [] : (products ?? [])
        let dialect = try executor(query.source).dialect
        for start in stride(from: 0, to: keys.count, by: 500) {
            let chunk = Array(keys[start..<min(start + 500, keys.count)])
            let statement = query.select(
                columns, rootKeys: chunk, products: products, rows: rows, dialect: dialect,
                type: { type(query.source, $0, $1) })
            record(statement, on: query.source)
            try await connection.forEachRow(statement, body)
        }
    }

    /// The keys (`rk_row`) of the subject's rows of a table, in one tight read.
    func rowKeys(_ query: TableQuery, rootKeys: [String: [SQLValue]], products: [String]?, on connection: any SQLConnection) async throws
        -> [SQLValue]
    {
        guard let keys = rootKeys[query.root.name], !keys.isEmpty else { return [] }
        let products = query.productTable == nil ? [] : (products ?? [])
        let dialect = try executor(query.source).dialect
        var found: [SQLValue] = []
        for start in stride(from: 0, to: keys.count, by: 500) {
            let statement = query.select(
                [], rootKeys: Array(keys[start..<min(start + 500, keys.count)]), products: products, dialect: dialect,
                type: { type(query.source, $0, $1) })
            record(statement, on: query.source)
            found += try await connection.firstColumn(statement)
        }
        return found
    }

    /// Makes sure a source has the tables RightsKit keeps there, once per service: the first
    /// operation that writes to a source creates them, later ones go straight to work.
    func prepareHostTables(_ source: DataSourceMap) async throws {
        guard !hostTablesReady.withLock({ $0.contains(source.name) }) else { return }
        let executor = try executor(source)
        let dialect = executor.dialect
        try await executor.transaction { connection in
            // Instances starting together create them one at a time.
            if let lock = dialect.lockStatement(.number(Self.hostTablesLock)) { try await connection.query(lock) }
            for statement in Self.hostTables(dialect) { try await connection.query(statement) }
        }
        hostTablesReady.withLock { _ = $0.insert(source.name) }
    }

    static let hostTablesLock: Int64 = 0x5269_6768_7473_4854

    /// The tables RightsKit keeps in the organisation's database for the host to read.
    static func hostTables(_ dialect: SQLDialect) -> [SQLStatement] {
        let (serial, real) = (dialect.autoIncrementKey, dialect.realType)
        return [
            """
            CREATE TABLE IF NOT EXISTS rightskit_journal (
                request_id TEXT NOT NULL, operation TEXT NOT NULL, report TEXT NOT NULL, done_at \(raw: real) NOT NULL,
                PRIMARY KEY (request_id, operation))
            """,
            """
            CREATE TABLE IF NOT EXISTS rightskit_progress (
                request_id TEXT NOT NULL, operation TEXT NOT NULL, cursor TEXT NOT NULL, PRIMARY KEY (request_id, operation))
            """,
            """
            CREATE TABLE IF NOT EXISTS rightskit_restrictions (
                id \(raw: serial), table_name TEXT NOT NULL, row_key TEXT NOT NULL, columns TEXT NOT NULL,
                basis TEXT NOT NULL, lifts_at \(raw: real), request_id TEXT NOT NULL, created_at \(raw: real) NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS rightskit_restrictions_by_row ON rightskit_restrictions (table_name, row_key)",
            """
            CREATE TABLE IF NOT EXISTS rightskit_processing_limits (
                id \(raw: serial), table_name TEXT NOT NULL, row_key TEXT NOT NULL, purposes TEXT,
                basis TEXT NOT NULL, request_id TEXT NOT NULL, limited_at \(raw: real) NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS rightskit_processing_limits_by_row ON rightskit_processing_limits (table_name, row_key)",
            "CREATE INDEX IF NOT EXISTS rightskit_restrictions_lifting ON rightskit_restrictions (lifts_at) WHERE lifts_at IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS rightskit_restrictions_referenced ON rightskit_restrictions (id) WHERE basis = '\(raw: referencedBasis)'",
            """
            CREATE TABLE IF NOT EXISTS rightskit_discontinued_products (
                product TEXT PRIMARY KEY, collection_stops_at \(raw: real) NOT NULL, request_id TEXT NOT NULL)
            """,
        ]
    }

    /// The journal's name for an operation on one subject (a keyed hash of the identities).
    func journalOperation(_ kind: String, for identities: [SubjectIdentity]) -> String {
        vault.journalOperation(kind, for: identities)
    }

    /// The recorded result of an operation done for a request on this source, if it was done.
    static func journalled(request: RequestID, operation: String, on connection: any SQLConnection) async throws -> String? {
        try await connection.query(
            "SELECT report FROM rightskit_journal WHERE request_id = \(request.rawValue) AND operation = \(operation)"
        ).first?.decode("report")
    }

    /// The journalled result of an operation, decoded, if it was done.
    static func journalled<Report: Decodable>(_ type: Report.Type, request: RequestID, operation: String, on connection: any SQLConnection)
        async throws -> Report?
    {
        guard let done = try await journalled(request: request, operation: operation, on: connection) else { return nil }
        return try CanonicalJSON.decode(Report.self, from: Data(done.utf8))
    }

    /// Records an operation's result in the caller's transaction on the source.
    static func journal(_ result: some Encodable, request: RequestID, operation: String, at time: Date, on connection: any SQLConnection)
        async throws
    {
        try await connection.query(
            """
            INSERT INTO rightskit_journal (request_id, operation, report, done_at)
            VALUES (\(request.rawValue), \(operation), \(try CanonicalJSON.string(result)), \(time.sqlSeconds))
            """)
    }

    /// Deletes one row in a savepoint; false, with nothing changed, when rows kept elsewhere
    /// still refer to it (the violation rolls back to the savepoint, not the transaction).
    func deleteRow(_ key: SQLValue, of table: MappedTable, source: DataSourceMap, on connection: any SQLConnection) async throws -> Bool {
        let statement: SQLStatement =
            "DELETE FROM \(raw: quoted(table.name)) WHERE \(raw: quoted(table.key)) = \(key, column: type(source, table.name, table.key))"
        record(statement, on: source)
        try await connection.query("SAVEPOINT rightskit_delete")
        do {
            try await connection.query(statement)
            try await connection.query("RELEASE SAVEPOINT rightskit_delete")
            return true
        } catch is ForeignKeyViolation {
            try await connection.query("ROLLBACK TO SAVEPOINT rightskit_delete")
            try await connection.query("RELEASE SAVEPOINT rightskit_delete")
            return false
        }
    }

    /// Overwrites fields of one row in place by their strategies (NULL, a fixed text, a keyed
    /// hash of the `current` value); `encrypt` and `restrict` fields are left to their own
    /// handling. Returns the fields overwritten.
    @discardableResult
    func overwrite(
        _ fields: [MappedField], current: SQLRow, key: SQLValue, of table: MappedTable, source: DataSourceMap,
        on connection: any SQLConnection
    ) async throws -> [MappedField] {
        var overwritten: [MappedField] = []
        var assignments: [SQLStatement] = []
        for field in fields {
            let value: SQLValue
            switch field.erasure {
            case .null, .deleteRow: value = .null
            case .fixed(let replacement): value = .text(replacement)
            case .hmac: value = current[field.column].text.map { .text(vault.hmac($0)) } ?? .null
            case .encrypt, .restrict: continue
            }
            assignments.append("\(raw: quoted(field.column)) = \(value, column: type(source, table.name, field.column))")
            overwritten.append(field)
        }
        guard !assignments.isEmpty else { return [] }
        let statement: SQLStatement =
            "UPDATE \(raw: quoted(table.name)) SET " + .joined(assignments, separator: ", ")
            + " WHERE \(raw: quoted(table.key)) = \(key, column: type(source, table.name, table.key))"
        record(statement, on: source)
        try await connection.query(statement)
        return overwritten
    }
}
