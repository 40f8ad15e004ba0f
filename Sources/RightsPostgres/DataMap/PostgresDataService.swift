import Foundation
import GRDB
public import Logging
import PostgresNIO
public import RightsKernel
public import RightsStore
import Synchronization

/// The data service over the organisation's own PostgreSQL databases, as a ``DataMap`` describes
/// them: the same behaviour as ``SQLiteDataService`` (locate, streaming export, correction,
/// erasure by every strategy with the organisation-side journal, restriction, product scope,
/// consent withdrawal, account cancellation), checked against the real schema at load.
///
/// Values travel as GRDB `DatabaseValue`s, so the erasure planning and the report are the SQLite
/// connector's own; every value is bound as text and cast to its column's type, so a mapped
/// `bigint`, `uuid` or `timestamptz` column takes what SQLite would store.
public final class PostgresDataService: PersonalDataCorrection, PersonalDataErasure, ConsentRegistry, ProductScope, ProcessingLimits {
    /// What the map declares, and limits on processing in every source.
    public var capabilities: Set<DataCapability> { map.declaredCapabilities.union([.processingLimits]) }

    public func missingReason(_ capability: DataCapability) -> String {
        map.missingDeclaration(capability) ?? "the PostgreSQL connector does not offer \(capability.meaning)"
    }

    let map: DataMap
    let clients: [String: PostgresClient]
    let vault: SubjectKeyVault
    let logger: Logger
    /// Each mapped table's columns with their types, per source.
    let columns: [String: [String: [String: ColumnType]]]
    /// Mapped columns without an index.
    public let warnings: [ConfigError]
    let tableQueries: [String: [TableQuery]]
    /// The sources whose host tables this service has made sure of.
    let hostTablesReady = Mutex<Set<String>>([])
    private let running: Task<Void, Never>

    /// A column's type as PostgreSQL names it (`bigint`, `timestamp with time zone`).
    struct ColumnType: Sendable {
        var name: String
        var storage: SchemaFacts.Storage
    }

    /// Connects to each source and checks the map against its schema; every mismatch is a load
    /// error at the map's line. `readOnly` opens the vault without creating it.
    public static func open(map given: DataMap, logger unlimited: Logger, readOnly: Bool = false) async throws -> PostgresDataService {
        var map = given
        let logger = unlimited.forDatabaseDriver
        var clients: [String: PostgresClient] = [:]
        var errors: [ConfigError] = []
        var warnings: [ConfigError] = []
        var columns: [String: [String: [String: ColumnType]]] = [:]
        for source in map.sources {
            guard let location = source.postgres else {
                errors.append(source.location.error("the postgres driver needs url"))
                continue
            }
            do {
                try await PostgresStore.probe(location, logger: logger)
            } catch let error as PostgresStoreUnreachable {
                errors.append(source.location.error("url: \(error.reason)"))
                continue
            } catch let error as PostgresLocation.Invalid {
                errors.append(source.location.error("url: \(error.description)"))
                continue
            }
            clients[source.name] = PostgresClient(configuration: try location.configuration(), backgroundLogger: logger)
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        // Each pool runs (once, as PostgresClient requires) for the life of the service.
        let pools = Array(clients.values)
        let running = Task {
            await withDiscardingTaskGroup { group in
                for client in pools { group.addTask { await client.run() } }
            }
        }
        do {
            for (index, source) in map.sources.enumerated() {
                guard let client = clients[source.name] else { continue }
                let (facts, types) = try await Self.facts(client, logger: logger)
                // A table mapped without a key is keyed by its primary key (SQLite's rowid).
                for (position, table) in source.tables.enumerated() where table.key == "rowid" {
                    let keys = (facts.columns[table.name] ?? []).filter(\.primaryKey)
                    if keys.count == 1 { map.sources[index].tables[position].key = keys[0].name }
                }
                let check = SchemaCheck(source: map.sources[index], facts: facts)
                errors += check.errors
                warnings += check.warnings
                columns[source.name] = types
            }
        } catch {
            running.cancel()
            throw error
        }
        guard errors.isEmpty else {
            running.cancel()
            throw ConfigErrors(errors)
        }
        let vault: SubjectKeyVault
        do {
            vault = try readOnly ? SubjectKeyVault(checking: map.vaultPath) : SubjectKeyVault(path: map.vaultPath)
        } catch let error as DatabaseError {
            running.cancel()
            throw ConfigErrors([
                (map.vaultLocation ?? map.location).error(
                    "vault: \(map.vaultPath) cannot be opened as the key vault (SQLite error \(error.resultCode.rawValue))")
            ])
        }
        return PostgresDataService(
            map: map, clients: clients, running: running, vault: vault, logger: logger, columns: columns, warnings: warnings)
    }

    private init(
        map: DataMap, clients: [String: PostgresClient], running: Task<Void, Never>, vault: SubjectKeyVault, logger: Logger,
        columns: [String: [String: [String: ColumnType]]], warnings: [ConfigError]
    ) {
        self.map = map
        self.clients = clients
        self.vault = vault
        self.logger = logger
        self.columns = columns
        self.warnings = warnings
        tableQueries = Dictionary(
            uniqueKeysWithValues: map.sources.map { source in (source.name, source.tables.map { TableQuery(source: source, table: $0) }) })
        self.running = running
    }

    deinit { running.cancel() }

    /// Closes the pools of every source once their statements in flight finish.
    public func close() async {
        running.cancel()
        _ = await running.result
    }

    /// The schema as PostgreSQL's catalogue gives it, for the current schema of the connection.
    static func facts(_ client: PostgresClient, logger: Logger) async throws -> (SchemaFacts, [String: [String: ColumnType]]) {
        let tables = try await client.query(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname
            """, logger: logger
        ).decode(String.self).collect()
        var columns: [String: [SchemaFacts.Column]] = [:]
        var types: [String: [String: ColumnType]] = [:]
        for (table, column, type, notNull, primaryKey) in try await client.query(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey))
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """, logger: logger
        ).decode((String, String, String, Bool, Bool).self).collect() {
            let storage = Self.storage(of: type)
            columns[table, default: []].append(
                SchemaFacts.Column(name: column, storage: storage, notNull: notNull || primaryKey, primaryKey: primaryKey))
            types[table, default: [:]][column] = ColumnType(name: type, storage: storage)
        }
        var indexed: [String: Set<String>] = [:]
        for (table, column) in try await client.query(
            """
            SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
            WHERE n.nspname = current_schema()
            """, logger: logger
        ).decode((String, String).self).collect() {
            indexed[table, default: []].insert(column)
        }
        let references = try await client.query(
            """
            SELECT child.relname, a.attname, parent.relname FROM pg_constraint k
            JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid
            JOIN pg_namespace n ON n.oid = child.relnamespace JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
            WHERE k.contype = 'f' AND n.nspname = current_schema()
            """, logger: logger
        ).decode((String, String, String).self).collect().map { SchemaFacts.Reference(table: $0.0, column: $0.1, parent: $0.2) }
        return (SchemaFacts(tables: tables, columns: columns, indexedColumns: indexed, references: references, rowidKeys: false), types)
    }

    static func storage(of type: String) -> SchemaFacts.Storage {
        if ["smallint", "integer", "bigint"].contains(type) { return .integer }
        if type == "real" || type == "double precision" || type.hasPrefix("numeric") { return .real }
        if type == "text" || type.hasPrefix("character") { return .text }
        return .other
    }

    public func fingerprint(_ value: String) -> String {
        vault.hmac(value)
    }

    /// The vault holding the deployment key and per-subject keys.
    public var keyVault: SubjectKeyVault { vault }

    func client(_ source: DataSourceMap) throws -> PostgresClient {
        guard let client = clients[source.name] else { throw DataServiceError.unknownSource(source.name) }
        return client
    }

    func queries(of source: DataSourceMap) -> [TableQuery] {
        tableQueries[source.name] ?? []
    }

    /// Every mapped table as a query, those farthest from the subject first.
    func queriesChildrenFirst(in source: DataSourceMap) -> [TableQuery] {
        TableQuery.childrenFirst(queries(of: source))
    }

    /// The SQL type a value for `table.column` is cast to.
    func type(_ source: DataSourceMap, _ table: String, _ column: String) -> ColumnType {
        columns[source.name]?[table]?[column] ?? ColumnType(name: "text", storage: .text)
    }

    /// One read-only snapshot of a source (REPEATABLE READ), for reads that must agree.
    func snapshot<Result: Sendable>(_ source: DataSourceMap, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await transaction(source) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            return try await body(connection)
        }
    }

    /// One read-write transaction on a source, rethrowing the body's own error.
    func transaction<Result: Sendable>(_ source: DataSourceMap, _ body: (PostgresConnection) async throws -> Result) async throws -> Result
    {
        do {
            return try await client(source).withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }
}

/// A query with its values, each bound as text and cast to its column's type.
struct BoundQuery {
    private(set) var sql = ""
    private(set) var bindings = PostgresBindings()

    /// `$n::type` for `value`; NULL stays NULL.
    mutating func mark(_ value: DatabaseValue, as type: PostgresDataService.ColumnType) -> String {
        if let text = text(value) { bindings.append(text) } else { bindings.appendNull() }
        return "$\(bindings.count)::text::\(type.name)"
    }

    mutating func append(_ text: String) { sql += text }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
}

extension PostgresRandomAccessRow {
    /// A cell as SQLite would hold it: integers, reals, text (dates as RFC 3339), blobs, NULL.
    subscript(value column: String) -> DatabaseValue {
        get throws { try PostgresDataService.value(self[column]) }
    }
}

extension PostgresDataService {
    static func value(_ cell: PostgresCell) throws -> DatabaseValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return try cell.decode(Int64.self).databaseValue
        case .float4, .float8: return try cell.decode(Double.self).databaseValue
        case .numeric: return (NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue).databaseValue
        case .bool: return (try cell.decode(Bool.self) ? 1 : 0 as Int64).databaseValue
        case .bytea: return try cell.decode(Data.self).databaseValue
        case .timestamptz: return Timestamp.string(try cell.decode(Date.self)).databaseValue
        // Without a zone, as SQLite would keep them: read as local to the deployment.
        case .timestamp: return localFormat("yyyy-MM-dd'T'HH:mm:ss", try cell.decode(Date.self)).databaseValue
        case .date: return localFormat("yyyy-MM-dd", try cell.decode(Date.self)).databaseValue
        case .uuid: return try cell.decode(UUID.self).uuidString.lowercased().databaseValue
        default: return try cell.decode(String.self).databaseValue
        }
    }

    /// A zone-less value PostgreSQL decoded as UTC, written back as the text it stood for.
    static func localFormat(_ pattern: String, _ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}
