import Foundation
import GRDB
public import RightsKernel

/// The data service over the organisation's own SQLite databases, as a ``DataMap`` describes them.
///
/// At construction the map is checked against each database's real schema; every mismatch is a
/// load error at the map's line. Names in SQL come from the validated map and are quoted;
/// values are always bound. Reads stream through cursors, so memory stays flat.
public final class SQLiteDataService: PersonalDataCorrection, PersonalDataErasure, ConsentRegistry, ProductScope, ProcessingLimits {
    let map: DataMap
    let databases: [String: DatabaseQueue]
    let vault: SubjectKeyVault
    let log: StatementLog?
    /// Mapped columns that have no index: lookups through them scan the whole table.
    public let warnings: [ConfigError]
    /// Every mapped table's query (its join chain to the subject), built once per source.
    let tableQueries: [String: [TableQuery]]

    /// Opens each source and checks the map against its schema. `readOnly` (for `check-config`)
    /// opens everything read-only and creates nothing: a missing vault is then checked as empty.
    /// A file that is not an SQLite database is a load error at the key naming it.
    public init(map: DataMap, statementLog: StatementLog? = nil, readOnly: Bool = false) throws {
        self.map = map
        self.log = statementLog
        var databases: [String: DatabaseQueue] = [:]
        var errors: [ConfigError] = []
        var warnings: [ConfigError] = []
        for source in map.sources {
            guard FileManager.default.fileExists(atPath: source.path) else {
                errors.append(source.location.error("the database file \(source.path) does not exist"))
                continue
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.readonly = readOnly
            do {
                let database = try DatabaseQueue(path: source.path, configuration: configuration)
                let check = try database.read { db in try SchemaCheck(source: source, db: db) }
                errors += check.errors
                warnings += check.warnings
                databases[source.name] = database
            } catch let error as DatabaseError {
                errors.append(source.location.error("\(source.path) cannot be opened as an SQLite database (\(Self.reason(error)))"))
            }
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        self.databases = databases
        self.warnings = warnings
        self.tableQueries = Dictionary(
            uniqueKeysWithValues: map.sources.map { source in (source.name, source.tables.map { TableQuery(source: source, table: $0) }) })
        do {
            self.vault = try readOnly ? SubjectKeyVault(checking: map.vaultPath) : SubjectKeyVault(path: map.vaultPath)
        } catch let error as DatabaseError {
            let location = map.vaultLocation ?? map.location
            throw ConfigErrors([location.error("vault: \(map.vaultPath) cannot be opened as the key vault (\(Self.reason(error)))")])
        }
    }

    /// What the map declares, and limits on processing in every source.
    public var capabilities: Set<DataCapability> { map.declaredCapabilities.union([.processingLimits]) }

    public func missingReason(_ capability: DataCapability) -> String {
        map.missingDeclaration(capability) ?? "the SQLite connector does not offer \(capability.meaning)"
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

    public func fingerprint(_ value: String) -> String {
        vault.hmac(value)
    }

    /// The vault holding the deployment key and per-subject keys.
    public var keyVault: SubjectKeyVault { vault }

    func database(_ source: DataSourceMap) throws -> DatabaseQueue {
        guard let database = databases[source.name] else { throw DataServiceError.unknownSource(source.name) }
        return database
    }

    /// The queries of a source's tables, in the map's order.
    func queries(of source: DataSourceMap) -> [TableQuery] {
        tableQueries[source.name] ?? []
    }

    /// Runs `body` inside one read transaction on each of `sources`, so a whole export sees one
    /// consistent snapshot of every database.
    func reading<Result>(
        _ sources: ArraySlice<DataSourceMap>, _ open: [String: Database] = [:], _ body: ([String: Database]) throws -> Result
    ) throws -> Result {
        guard let first = sources.first else { return try body(open) }
        return try snapshot(database(first)) { db in
            var open = open
            open[first.name] = db
            return try reading(sources.dropFirst(), open, body)
        }
    }

    /// A deferred read transaction on an organisation's database. GRDB's `read` toggles
    /// `PRAGMA query_only` around it, which empties the connection's statement cache every
    /// time; this keeps prepared statements across requests. The body only reads.
    func snapshot<Result>(_ database: DatabaseQueue, _ body: (Database) throws -> Result) throws -> Result {
        try database.inDatabase { db in
            var result: Result?
            try db.inTransaction(.deferred) {
                result = try body(db)
                return .commit
            }
            guard let result else { throw DataServiceError.unknownSource("(no result)") }
            return result
        }
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
