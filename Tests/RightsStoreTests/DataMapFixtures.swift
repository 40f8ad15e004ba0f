import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting

/// Collects exported records in memory (tests only; real sinks stream to a file).
final class CollectingSink: ExportSink {
    var records: [ExportRecord] = []
    func write(_ record: ExportRecord) throws { records.append(record) }
}

/// A generated sample database and its data service, without the pipeline.
struct SampleData {
    let directory: TemporaryDirectory
    let service: SQLiteDataService
    let log: StatementLog
    var database: String { directory.file("business.sqlite") }

    /// A copy of an existing sample database and vault.
    static func copying(database: String, vault: String) throws -> SampleData {
        let directory = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: database, toPath: directory.file("business.sqlite"))
        try FileManager.default.copyItem(atPath: vault, toPath: directory.file("vault.sqlite"))
        return try SampleData(directory: directory)
    }
    var raw: DatabaseQueue { get throws { try DatabaseQueue(path: database) } }

    init(subjects: Int = 40, heavyRows: Int = 0) throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("business.sqlite"), vault = directory.file("vault.sqlite")
        try SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows).write(to: database, vault: SubjectKeyVault(path: vault))
        try self.init(directory: directory)
    }

    /// Over a database generated beforehand (`rightskit demo seed`), copied into `directory` as
    /// `business.sqlite` and `vault.sqlite`: the plan check on a million subjects uses this.
    init(directory: TemporaryDirectory) throws {
        self.directory = directory
        let database = directory.file("business.sqlite"), vault = directory.file("vault.sqlite")
        let map = try DataMap(section: ConfigSection.parse(yaml: SampleBusinessDatabase.dataMap(database: database, vault: vault), file: "datamap.yaml"), baseDirectory: directory.path)
        log = StatementLog()
        service = try SQLiteDataService(map: map, statementLog: log)
    }

    static func identities(_ subject: Int) -> [SubjectIdentity] {
        [SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject))]
    }
}

/// Loads a data map against a database built from `schema`, returning the located errors.
func dataMapErrors(schema: String, map: String) throws -> [ConfigError] {
    let directory = try TemporaryDirectory()
    let database = directory.file("db.sqlite")
    try DatabaseQueue(path: database).write { db in try db.execute(sql: schema) }
    let yaml = map.replacingOccurrences(of: "DATABASE", with: database)
    do {
        let parsed = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: directory.path)
        _ = try SQLiteDataService(map: parsed)
        return []
    } catch let error as ConfigError {
        return [error]
    } catch let errors as ConfigErrors {
        return errors.errors
    }
}
