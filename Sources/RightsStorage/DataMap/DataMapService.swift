import Foundation
public import RightsKernel
import Synchronization

/// The data service over the organisation's own databases, as a ``DataMap`` describes them,
/// written once for every database a driver reaches: locate, streaming export, correction,
/// erasure by every strategy with the organisation-side journal, restriction, product scope,
/// consent withdrawal, account cancellation and limits on processing.
///
/// At opening, the map is checked against each database's real schema; every mismatch is a
/// load error at the map's line. Names in SQL come from the validated map and are quoted;
/// values are always bound, each with its column's declared type.
public final class DataMapService: PersonalDataCorrection, PersonalDataErasure, ConsentRegistry, ProductScope, ProcessingLimits,
    DatabaseConnections
{
    let map: DataMap
    let executors: [String: any DataSourceExecutor]
    let vault: SubjectKeyVault
    let log: StatementLog?
    /// What each source's database says about its schema.
    let facts: [String: SchemaFacts]
    /// Mapped columns that have no index: lookups through them scan the whole table.
    public let warnings: [ConfigError]
    /// Every mapped table's query (its join chain to the subject), built once per source.
    let tableQueries: [String: [TableQuery]]
    /// The sources whose host tables this service has made sure of.
    let hostTablesReady = Mutex<Set<String>>([])
    /// The connector's name in messages ("the PostgreSQL connector does not offer …").
    let connectorName: String

    /// Opens every source of `map` with `openSource` (a driver's), checks the map against each
    /// schema and collects every mistake as one ``ConfigErrors``; the vault comes from the
    /// driver that holds it.
    package static func open(
        map given: DataMap, connectorName: String, statementLog: StatementLog? = nil,
        openSource: (DataSourceMap) async throws -> any DataSourceExecutor, openVault: () async throws -> SubjectKeyVault
    ) async throws -> DataMapService {
        var map = given
        var executors: [String: any DataSourceExecutor] = [:]
        var facts: [String: SchemaFacts] = [:]
        var errors: [ConfigError] = []
        var warnings: [ConfigError] = []
        func closeAll() async {
            for executor in executors.values { await executor.close() }
        }
        for (index, source) in map.sources.enumerated() {
            do {
                let executor = try await openSource(source)
                executors[source.name] = executor
                let found = try await executor.schemaFacts()
                // A table mapped without a key is keyed by its primary key where the database
                // has no rowid of its own.
                if !found.rowidKeys {
                    for (position, table) in source.tables.enumerated() where table.key == "rowid" {
                        let keys = (found.columns[table.name] ?? []).filter(\.primaryKey)
                        if keys.count == 1 { map.sources[index].tables[position].key = keys[0].name }
                    }
                }
                let check = SchemaCheck(source: map.sources[index], facts: found)
                errors += check.errors
                warnings += check.warnings
                facts[source.name] = found
            } catch let error as ConfigErrors {
                errors += error.errors
            } catch let error as ConfigError {
                errors.append(error)
            } catch {
                await closeAll()
                throw error
            }
        }
        guard errors.isEmpty else {
            await closeAll()
            throw ConfigErrors(errors)
        }
        let vault: SubjectKeyVault
        do {
            vault = try await openVault()
        } catch {
            await closeAll()
            throw error
        }
        return DataMapService(
            map: map, executors: executors, vault: vault, log: statementLog, facts: facts, warnings: warnings, connectorName: connectorName)
    }

    private init(
        map: DataMap, executors: [String: any DataSourceExecutor], vault: SubjectKeyVault, log: StatementLog?, facts: [String: SchemaFacts],
        warnings: [ConfigError], connectorName: String
    ) {
        self.map = map
        self.executors = executors
        self.vault = vault
        self.log = log
        self.facts = facts
        self.warnings = warnings
        self.connectorName = connectorName
        tableQueries = Dictionary(
            uniqueKeysWithValues: map.sources.map { source in (source.name, source.tables.map { TableQuery(source: source, table: $0) }) })
    }

    /// Closes every source's connections and the vault's, once their statements in flight finish.
    public func close() async {
        for executor in executors.values { await executor.close() }
        await vault.close()
    }

    /// What the map declares, and limits on processing in every source.
    public var capabilities: Set<DataCapability> { map.declaredCapabilities.union([.processingLimits]) }

    public func missingReason(_ capability: DataCapability) -> String {
        map.missingDeclaration(capability) ?? "the \(connectorName) connector does not offer \(capability.meaning)"
    }

    public func fingerprint(_ value: String) -> String {
        vault.hmac(value)
    }

    /// The vault holding the deployment key and per-subject keys.
    public var keyVault: SubjectKeyVault { vault }

    func executor(_ source: DataSourceMap) throws -> any DataSourceExecutor {
        guard let executor = executors[source.name] else { throw DataServiceError.unknownSource(source.name) }
        return executor
    }

    /// The queries of a source's tables, in the map's order.
    func queries(of source: DataSourceMap) -> [TableQuery] {
        tableQueries[source.name] ?? []
    }

    /// Every mapped table as a query, those farthest from the subject first (so children are
    /// erased before the rows they link through).
    func queriesChildrenFirst(in source: DataSourceMap) -> [TableQuery] {
        TableQuery.childrenFirst(queries(of: source))
    }

    /// The declared type of `table.column` in `source`, with which its values are bound.
    func type(_ source: DataSourceMap, _ table: String, _ column: String) -> String {
        facts[source.name]?.column(table, column)?.type ?? "text"
    }

    /// Runs `body` inside one snapshot of each of `sources`, nested, so a whole export sees one
    /// consistent state of every database.
    func reading<Result: Sendable>(
        _ sources: ArraySlice<DataSourceMap>, _ open: [String: any SQLConnection] = [:],
        _ body: @escaping @Sendable ([String: any SQLConnection]) async throws -> Result
    ) async throws -> Result {
        guard let first = sources.first else { return try await body(open) }
        return try await executor(first).snapshot { connection in
            var open = open
            open[first.name] = connection
            return try await self.reading(sources.dropFirst(), open, body)
        }
    }

    /// Records `statement` as run on `source`, for tests that count what a request costs.
    func record(_ statement: SQLStatement, on source: DataSourceMap) {
        log?.record(source: source.name, sql: statement.text { _ in "?" }, argumentCount: statement.values.count)
    }
}

/// A data service failure that is not the caller's input.
public enum DataServiceError: Error, CustomStringConvertible {
    case unknownSource(String)
    /// Another process advanced this request's erasure since this one last looked; it stops.
    case erasureWorkedElsewhere(RequestID)

    public var description: String {
        switch self {
        case .unknownSource(let name): "no open database for source '\(name)'"
        case .erasureWorkedElsewhere(let request): "the erasure of request \(request) is being worked by another process"
        }
    }
}
