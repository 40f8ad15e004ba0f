import Foundation
import GRDB
import Logging
import RightsDrivers
import RightsKernel
import RightsPostgres
import RightsStore
import RightsTesting
import Testing

/// Databases are opened through drivers registered by name, as right modules are: the kernel
/// names none, a name nobody registered is a load error at its line, and the key vault lives
/// wherever its own driver keeps it (in PostgreSQL, beside an SQLite business database).
@Suite("Drivers are registered by name; the vault lives where its driver keeps it")
struct StorageDriverTests {
    /// 2026-11-30, as the erasure tests use.
    let now = Date(timeIntervalSince1970: 1_796_029_200)

    @Test func aDriverNobodyRegisteredIsALoadErrorThatListsTheRegisteredOnes() async throws {
        let directory = try TemporaryDirectory()
        let yaml = """
            vault: vault.sqlite
            sources:
              main:
                url: "mysql://shop@db.internal/shop"
                tables: { users: { key: id, identities: { email: email }, fields: { email: { category: user.contact.email } } } }
            """
        let map = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: directory.path)
        #expect(map.sources.first?.driver == "mysql")
        do {
            _ = try await StorageDrivers.standard.openData(map, logger: Logger(label: "test"))
            Issue.record("a map naming an unregistered driver opened")
        } catch let error as ConfigErrors {
            let first = try #require(error.errors.first)
            #expect(first.line == 4)
            #expect(first.message == "no database driver is registered as 'mysql'; registered: postgres, postgresql, sqlite")
        }

        let settings = try DeploymentSettings.load(
            yaml: """
                deployment: { name: shop, jurisdiction: CN-PIPL, timezone: Asia/Shanghai }
                policy: { deadline: { days: 15 } }
                services:
                  store: { url: "postgress://rightskit@127.0.0.1/ledger" }
                rights: {}
                """, file: "config.yaml", baseDirectory: directory.path)
        do {
            _ = try await StorageDrivers.standard.openLedger(
                settings.store, at: settings.store.location, clock: SystemClock(), logger: Logger(label: "test"))
            Issue.record("a ledger naming an unregistered driver opened")
        } catch let error as ConfigError {
            #expect(error.line == 4)
            #expect(error.message.contains("no database driver is registered as 'postgress'; did you mean 'postgres'?"))
        }

        // Named by `driver:`, the error is at that key (the kernel no longer knows the names).
        let oracle = try DeploymentSettings.load(
            yaml: """
                deployment: { name: shop, jurisdiction: CN-PIPL, timezone: Asia/Shanghai }
                policy: { deadline: { days: 15 } }
                services:
                  store: { driver: oracle, path: data/ledger.db }
                rights: {}
                """, file: "config.yaml", baseDirectory: directory.path)
        #expect(throws: ConfigError.self) { try StorageDrivers.standard.driver(oracle.store.driver, at: oracle.store.location) }
        do {
            _ = try StorageDrivers.standard.driver(oracle.store.driver, at: oracle.store.location)
        } catch {
            #expect(error.keyPath == "services.store.driver" && error.line == 4)
        }
    }

    @Test func theVaultLivesInPostgreSQLBesideAnSQLiteBusinessDatabase() async throws {
        let directory = try TemporaryDirectory()
        let vaultURL = try TestPostgres.shared.get().database()
        let logger = Logger(label: "test")
        let vault = try await SubjectKeyVault.postgres(try PostgresLocation(url: vaultURL), logger: logger)
        try await SampleBusinessDatabase(subjects: 20).write(to: directory.file("business.sqlite"), vault: vault)
        await vault.close()
        let yaml = SampleBusinessDatabase.dataMap(database: directory.file("business.sqlite"), vault: "unused.sqlite")
            .replacingOccurrences(of: "vault: unused.sqlite", with: "vault: { url: \"\(vaultURL)\" }")
        let map = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: directory.path)
        let service = try #require(try await StorageDrivers.standard.openData(map, logger: logger) as? DataMapService)

        // The sealed identity number of subject 12 opens with its key from PostgreSQL.
        let sink = CollectingSink()
        _ = try await service.export(DataFixture.identities(12), scope: .everything, into: sink)
        let numbers = sink.records.flatMap(\.values).filter { $0.column == "id_number" }.compactMap(\.value)
        #expect(numbers.count == 1 && numbers.allSatisfy { $0.hasPrefix("110101") })

        // Erasure shreds that key in PostgreSQL and no other.
        _ = try await service.erase(DataFixture.identities(12), scope: .everything, request: RequestID(), at: now)
        let keys = try await PostgresRows.fetch(
            "SELECT subject FROM subject_keys ORDER BY subject", at: try PostgresLocation(url: vaultURL))
        let subjects = keys.compactMap { $0["subject"] ?? nil }
        #expect(!subjects.contains("accounts:12"))
        #expect(subjects.count == 19 && subjects.contains("accounts:13"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("unused.sqlite")), "no vault file was made")
        await service.close()
    }

    @Test func oneMapReachesAnSQLiteSourceAndAPostgreSQLSourceEachByItsOwnDriver() async throws {
        let directory = try TemporaryDirectory()
        try await DatabaseQueue(path: directory.file("web.sqlite")).write { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, note TEXT); CREATE INDEX users_email ON users (email);
                    INSERT INTO users VALUES (1, 'a@example.cn', 'likes tea'), (2, 'b@example.cn', 'likes coffee');
                    """)
        }
        try await DatabaseQueue(path: directory.file("shop.sqlite")).write { db in
            try db.execute(
                sql: """
                    CREATE TABLE customers (id BIGINT PRIMARY KEY, email TEXT NOT NULL, phone TEXT); CREATE INDEX customers_email ON customers (email);
                    INSERT INTO customers VALUES (10, 'a@example.cn', '+8613000000001'), (11, 'b@example.cn', '+8613000000002');
                    """)
        }
        let shop = try TestPostgres.shared.get().database()
        try await SQLiteDatabaseCopy(path: directory.file("shop.sqlite")).copy(
            into: try PostgresLocation(url: shop), logger: Logger(label: "test"))
        let yaml = """
            vault: vault.sqlite
            sources:
              web:
                path: web.sqlite
                tables: { users: { key: id, identities: { email: email }, fields: { note: { category: user.note, erase: null } } } }
              shop:
                url: "\(shop)"
                tables: { customers: { key: id, identities: { email: email }, fields: { phone: { category: user.contact.phone, erase: null } } } }
            """
        let map = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: directory.path)
        #expect(map.sources.map(\.driver) == ["sqlite", "postgres"])
        let service = try #require(try await StorageDrivers.standard.openData(map, logger: Logger(label: "test")) as? DataMapService)
        let subject = [SubjectIdentity(kind: "email", value: "a@example.cn")]

        let sink = CollectingSink()
        _ = try await service.export(subject, scope: .everything, into: sink)
        #expect(
            Set(sink.records.map { "\($0.source).\($0.table):\($0.values.compactMap(\.value).joined())" })
                == ["web.users:likes tea", "shop.customers:+8613000000001"])

        let report = try await service.erase(subject, scope: .everything, request: RequestID(), at: now)
        #expect(report.erased.map { "\($0.source).\($0.table).\($0.column)" }.sorted() == ["shop.customers.phone", "web.users.note"])
        let web = try await DatabaseQueue(path: directory.file("web.sqlite")).read { db in
            try String?.fetchAll(db, sql: "SELECT note FROM users ORDER BY id")
        }
        #expect(web == [nil, "likes coffee"])
        let phones = try await PostgresRows.fetch("SELECT phone FROM customers ORDER BY id", at: try PostgresLocation(url: shop))
        #expect(phones.map { $0["phone"] ?? nil } == [nil, "+8613000000002"])
        await service.close()
    }
}
