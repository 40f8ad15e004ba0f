import Foundation
public import Logging
import PostgresNIO
import RightsKernel
public import RightsStorage

extension SubjectKeyVault {
    /// The vault in its own PostgreSQL database (never one holding the data it protects);
    /// `checking` creates nothing and reads an absent vault as empty.
    public static func postgres(_ location: PostgresLocation, logger: Logger, checking: Bool = false) async throws -> SubjectKeyVault {
        let executor = try await PostgresExecutor.connecting(to: location, logger: logger)
        do {
            return try await open(executor, checking: checking)
        } catch {
            await executor.close()
            throw error
        }
    }
}

extension PostgresExecutor {
    /// A pool on `location`, after one probe connection proved the database is there and the
    /// login works (the pool alone would retry for ever).
    static func connecting(to location: PostgresLocation, logger given: Logger) async throws -> PostgresExecutor {
        let logger = given.forDatabaseDriver
        try await LedgerStore.probe(location, logger: logger)
        return PostgresExecutor(
            client: PostgresClient(configuration: try location.configuration(), backgroundLogger: logger), logger: logger)
    }

    /// One of the organisation's PostgreSQL databases, as a data map source names it; an
    /// unreachable database is a load error at the source.
    static func dataSource(_ source: DataSourceMap, logger: Logger) async throws -> PostgresExecutor {
        guard let url = source.url else { throw source.location.error("the postgres driver needs url") }
        do {
            return try await connecting(to: try PostgresLocation(url), logger: logger)
        } catch let error as PostgresStoreUnreachable {
            throw source.location.error("url: \(error.reason)")
        } catch let error as PostgresLocation.Invalid {
            throw source.location.error("url: \(error.description)")
        }
    }

    /// The schema as PostgreSQL's catalogue gives it, for the current schema of the connection.
    func schemaFacts() async throws -> SchemaFacts {
        let tables = try await query(
            """
            SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname
            """
        ).map { try $0.decode("name", as: String.self) }
        var columns: [String: [SchemaFacts.Column]] = [:]
        for row in try await query(
            """
            SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                   EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)) AS primary_key
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """)
        {
            let type: String = try row.decode("type")
            let primaryKey: Bool = try row.decode("primary_key")
            columns[try row.decode("table_name"), default: []].append(
                SchemaFacts.Column(
                    name: try row.decode("column_name"), type: type, storage: Self.storage(of: type),
                    notNull: try row.decode("not_null", as: Bool.self) || primaryKey, primaryKey: primaryKey))
        }
        var indexed: [String: Set<String>] = [:]
        for row in try await query(
            """
            SELECT c.relname AS table_name, a.attname AS column_name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
            WHERE n.nspname = current_schema()
            """)
        {
            indexed[try row.decode("table_name"), default: []].insert(try row.decode("column_name"))
        }
        let references = try await query(
            """
            SELECT child.relname AS table_name, a.attname AS column_name, parent.relname AS parent, p.attname AS parent_column
            FROM pg_constraint k
            JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid
            JOIN pg_namespace n ON n.oid = child.relnamespace JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
            JOIN pg_attribute p ON p.attrelid = k.confrelid AND p.attnum = k.confkey[1]
            WHERE k.contype = 'f' AND n.nspname = current_schema()
            """
        ).map {
            SchemaFacts.Reference(
                table: try $0.decode("table_name"), column: try $0.decode("column_name"), parent: try $0.decode("parent"),
                parentColumn: try $0.decode("parent_column"))
        }
        var facts = SchemaFacts(tables: tables, columns: columns, indexedColumns: indexed, references: references, rowidKeys: false)
        for row in try await query(
            """
            SELECT c.relname AS table_name, a.attname AS column_name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
            WHERE n.nspname = current_schema() AND i.indisunique AND i.indnkeyatts = 1
            """)
        {
            facts.uniqueColumns[try row.decode("table_name"), default: []].insert(try row.decode("column_name"))
        }
        for row in try await query(
            """
            SELECT c.relname AS table_name, c.reltuples::bigint AS estimate FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
            """)
        {
            let estimate: Int64 = try row.decode("estimate")
            if estimate >= 0 { facts.estimatedRows[try row.decode("table_name")] = Int(estimate) }
        }
        return facts
    }

    static func storage(of type: String) -> SchemaFacts.Storage {
        if ["smallint", "integer", "bigint"].contains(type) { return .integer }
        if type == "real" || type == "double precision" || type.hasPrefix("numeric") { return .real }
        if type == "text" || type.hasPrefix("character") { return .text }
        return .other
    }
}
