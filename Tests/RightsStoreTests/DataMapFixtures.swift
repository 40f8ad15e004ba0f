import Foundation
import GRDB
import Logging
import RightsDrivers
import RightsKernel
import RightsPostgres
import RightsStore
import RightsTesting

/// Collects exported records in memory (tests only; real sinks stream to a file).
final class CollectingSink: ExportSink {
    var records: [ExportRecord] = []
    func write(_ record: ExportRecord) throws { records.append(record) }
}

/// An organisation's database with its data map and data service, on SQLite or (the same
/// database copied with ``SQLiteDatabaseCopy``) on PostgreSQL, without the pipeline: the
/// connector suites run once per driver. Checks read the database with plain SQL, every value
/// as text.
struct DataFixture: Sendable {
    let directory: TemporaryDirectory
    let driver: LedgerDriver
    /// Both connectors offer every capability.
    let service: any PersonalDataCorrection & PersonalDataErasure & ConsentRegistry & ProductScope & ProcessingLimits
    /// The same vault the service uses (another handle on its file).
    let vault: SubjectKeyVault
    /// The PostgreSQL database, for `.postgres`.
    let postgres: PostgresLocation?

    var database: String { directory.file("db.sqlite") }

    /// A database built from `schema` (SQLite DDL and inserts) and a data map whose sources
    /// say `path: db.sqlite` (replaced by the PostgreSQL database's url on `.postgres`).
    static func make(on driver: LedgerDriver, schema: String, map: String) async throws -> DataFixture {
        try await make(on: driver, map: map) { _ in schema }
    }

    /// As above, the schema written with the vault at hand (to seal a field's value).
    static func make(on driver: LedgerDriver, map: String, schema: (SubjectKeyVault) async throws -> String) async throws -> DataFixture {
        let directory = try TemporaryDirectory()
        let sql = try await schema(try await SubjectKeyVault.sqlite(path: directory.file("vault.sqlite")))
        try await DatabaseQueue(path: directory.file("db.sqlite")).write { db in try db.execute(sql: sql) }
        return try await open(on: driver, directory: directory, map: map)
    }

    /// The sample business database of `subjects` subjects, with its data map.
    static func sample(on driver: LedgerDriver, subjects: Int = 40, heavyRows: Int = 0) async throws -> DataFixture {
        let directory = try TemporaryDirectory()
        let database = directory.file("db.sqlite")
        let vault = directory.file("vault.sqlite")
        try SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows).write(to: database, vaultPath: vault)
        return try await open(
            on: driver, directory: directory, map: SampleBusinessDatabase.dataMap(database: "db.sqlite", vault: "vault.sqlite"))
    }

    /// Another data service on the same databases, as a second process would open them.
    func reopened() async throws -> DataFixture {
        try await Self.open(
            on: driver, directory: directory, map: try String(contentsOfFile: directory.file("map.yaml"), encoding: .utf8), copying: false)
    }

    private static func open(on driver: LedgerDriver, directory: TemporaryDirectory, map: String, copying: Bool = true) async throws
        -> DataFixture
    {
        var yaml = map
        var location: PostgresLocation?
        if driver == .postgres {
            let url: String
            if copying {
                url = try TestPostgres.shared.get().database()
                try await SQLiteDatabaseCopy(path: directory.file("db.sqlite")).copy(
                    into: try PostgresLocation(url: url), logger: Logger(label: "test"))
                yaml = Self.onPostgres(yaml, url: url)
            } else {
                guard let found = yaml.components(separatedBy: "url: \"").dropFirst().first?.components(separatedBy: "\"").first else {
                    throw CocoaError(.fileReadCorruptFile)
                }
                url = found
            }
            location = try PostgresLocation(url: url)
        }
        try yaml.write(toFile: directory.file("map.yaml"), atomically: true, encoding: .utf8)
        let parsed = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: directory.path)
        let opened = try await StorageDrivers.standard.openData(parsed, logger: Logger(label: "test"))
        guard let service = opened as? any PersonalDataCorrection & PersonalDataErasure & ConsentRegistry & ProductScope & ProcessingLimits
        else {
            throw FixtureError.connectorLacksCapabilities
        }
        return DataFixture(
            directory: directory, driver: driver, service: service,
            vault: try await SubjectKeyVault.sqlite(path: directory.file("vault.sqlite")),
            postgres: location)
    }

    /// The map with its `path: db.sqlite` source on PostgreSQL instead, in block or flow style.
    static func onPostgres(_ yaml: String, url: String) -> String {
        yaml.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
            let trimmed = line.drop { $0 == " " }
            let indent = String(line.prefix(line.count - trimmed.count))
            if trimmed == "driver: sqlite" { return nil }
            if trimmed.hasPrefix("path: db.sqlite") { return "\(indent)driver: postgres\n\(indent)url: \"\(url)\"" }
            return line.replacingOccurrences(of: "path: db.sqlite", with: "driver: postgres, url: \"\(url)\"")
        }.joined(separator: "\n")
    }

    /// A value as the connector shows it: integers and reals in decimal, blobs in base64.
    static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: nil
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .string(let string): string
        case .blob(let data): data.base64EncodedString()
        }
    }

    /// Plain SQL on the organisation's database; every value as text, NULL as nil.
    func rows(_ sql: String) async throws -> [[String: String?]] {
        if let postgres { return try await PostgresRows.fetch(sql, at: postgres) }
        return try await DatabaseQueue(path: database).read { db in
            try Row.fetchAll(db, sql: sql).map { row in
                Dictionary(uniqueKeysWithValues: row.columnNames.map { name in (name, Self.text(row[name] as DatabaseValue)) })
            }
        }
    }

    /// Changes the organisation's database as its own application would.
    func execute(_ sql: String) async throws {
        if let postgres {
            _ = try await PostgresRows.fetch(sql, at: postgres)
        } else {
            try await DatabaseQueue(path: database).write { db in try db.execute(sql: sql) }
        }
    }

    /// The first column of the first row.
    func value(_ sql: String) async throws -> String? {
        guard let row = try await rows(sql).first, let first = row.keys.sorted().first else { return nil }
        return row.count == 1 ? row[first] ?? nil : nil
    }

    func count(_ sql: String) async throws -> Int {
        Int(try await value(sql) ?? "") ?? -1
    }

    /// The restrictions recorded on a row, as the host application reads them.
    func restrictions(table: String, rowKey: String) async throws -> [[String: String?]] {
        try await rows(
            "SELECT basis, lifts_at, request_id, columns FROM rightskit_restrictions WHERE table_name = '\(table)' AND row_key = '\(rowKey)' ORDER BY id"
        )
    }

    static func identities(_ subject: Int) -> [SubjectIdentity] {
        [SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject))]
    }
}

/// A generated sample database and its SQLite data service, with the statements it issued
/// (for the query-plan check, which is SQLite's own).
struct SampleData {
    let directory: TemporaryDirectory
    let service: DataMapService
    let log: StatementLog
    var database: String { directory.file("business.sqlite") }

    /// A copy of an existing sample database and vault.
    static func copying(database: String, vault: String) async throws -> SampleData {
        let directory = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: database, toPath: directory.file("business.sqlite"))
        try FileManager.default.copyItem(atPath: vault, toPath: directory.file("vault.sqlite"))
        return try await SampleData(directory: directory)
    }
    var raw: DatabaseQueue { get throws { try DatabaseQueue(path: database) } }

    init(subjects: Int = 40, heavyRows: Int = 0) async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("business.sqlite")
        let vault = directory.file("vault.sqlite")
        try SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows).write(to: database, vaultPath: vault)
        try await self.init(directory: directory)
    }

    /// Over a database generated beforehand (`rightskit demo seed`), copied into `directory` as
    /// `business.sqlite` and `vault.sqlite`: the plan check on a million subjects uses this.
    init(directory: TemporaryDirectory) async throws {
        self.directory = directory
        let database = directory.file("business.sqlite")
        let vault = directory.file("vault.sqlite")
        let map = try DataMap(
            section: ConfigSection.parse(yaml: SampleBusinessDatabase.dataMap(database: database, vault: vault), file: "datamap.yaml"),
            baseDirectory: directory.path)
        log = StatementLog()
        service = try await DataMapService.sqlite(map: map, statementLog: log)
    }

    static func identities(_ subject: Int) -> [SubjectIdentity] {
        [SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject))]
    }
}

/// Loads a data map against a database built from `schema`, returning the located errors.
func dataMapErrors(schema: String, map: String) async throws -> [ConfigError] {
    let directory = try TemporaryDirectory()
    let database = directory.file("db.sqlite")
    try await DatabaseQueue(path: database).write { db in try db.execute(sql: schema) }
    let yaml = map.replacingOccurrences(of: "DATABASE", with: database)
    do {
        let parsed = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: directory.path)
        _ = try await DataMapService.sqlite(map: parsed)
        return []
    } catch let error as ConfigError {
        return [error]
    } catch let errors as ConfigErrors {
        return errors.errors
    }
}

/// The same, on the driver given: on PostgreSQL the schema is built in SQLite, copied, and the
/// map's `path: DATABASE` becomes the database's `url` on the same line.
func dataMapErrors(schema: String, map: String, on driver: LedgerDriver) async throws -> [ConfigError] {
    guard driver == .postgres else { return try await dataMapErrors(schema: schema, map: map) }
    return try await dataMapLoad(schema: schema, map: map).errors
}

/// Loads a map over a PostgreSQL copy of `schema`: its errors, or the service's warnings.
func dataMapLoad(schema: String, map: String) async throws -> (errors: [ConfigError], warnings: [ConfigError]) {
    let directory = try TemporaryDirectory()
    try await DatabaseQueue(path: directory.file("db.sqlite")).write { db in try db.execute(sql: schema) }
    let url = try TestPostgres.shared.get().database()
    try await SQLiteDatabaseCopy(path: directory.file("db.sqlite")).copy(
        into: try PostgresLocation(url: url), logger: Logger(label: "test"))
    let yaml = map.replacingOccurrences(of: "path: DATABASE", with: "url: \"\(url)\"")
    do {
        let parsed = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: directory.path)
        let opened = try await StorageDrivers.standard.openData(parsed, logger: Logger(label: "test"))
        guard let service = opened as? any PersonalDataCorrection & PersonalDataErasure & ConsentRegistry & ProductScope & ProcessingLimits
        else {
            throw FixtureError.connectorLacksCapabilities
        }
        return ([], ((service as? DataMapService)?.warnings ?? []))
    } catch let error as ConfigError {
        return ([error], [])
    } catch let errors as ConfigErrors {
        return (errors.errors, [])
    }
}

enum FixtureError: Error { case connectorLacksCapabilities }
