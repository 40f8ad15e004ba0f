import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("A data map that does not match the database is a load error at its line, on SQLite and on PostgreSQL")
struct DataMapSchemaTests {
    static let schema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, created_at TEXT);
        CREATE INDEX users_email ON users (email);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER);
        CREATE INDEX orders_user ON orders (user_id);
        """

    /// A valid map; each test breaks one line.
    static let map = """
        vault: vault.sqlite
        sources:
          shop:
            path: DATABASE
            tables:
              users:
                key: id
                identities: { email: email }
                retention: { basis: Tax law, days: 3650, from: created_at }
                fields:
                  email: { category: user.contact.email, correctable: true, erase: hmac }
              orders:
                key: id
                link: { column: user_id, references: users.id }
                fields:
                  total: { category: user.financial.order, erase: null }
        """

    func errors(replacing original: String, with replacement: String, on driver: LedgerDriver = .sqlite) async throws -> [ConfigError] {
        #expect(Self.map.contains(original), "fixture changed: \(original)")
        return try await dataMapErrors(schema: Self.schema, map: Self.map.replacingOccurrences(of: original, with: replacement), on: driver)
    }

    @Test(arguments: LedgerDriver.allCases)
    func theValidMapLoads(on driver: LedgerDriver) async throws {
        #expect(try await dataMapErrors(schema: Self.schema, map: Self.map, on: driver).isEmpty)
    }

    @Test(arguments: LedgerDriver.allCases)
    func aMissingTable(on driver: LedgerDriver) async throws {
        let error = try #require(try await errors(replacing: "  orders:\n", with: "  order:\n", on: driver).first)
        #expect(error.keyPath == "sources.shop.tables.order")
        #expect(error.line == 13)
        #expect(error.message.contains("table 'order' does not exist"))
        #expect(error.message.contains("did you mean 'orders'?"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func aMissingFieldColumn(on driver: LedgerDriver) async throws {
        let error = try #require(try await errors(replacing: "total: {", with: "totl: {", on: driver).first)
        #expect(error.keyPath == "sources.shop.tables.orders.fields.totl")
        #expect(error.line == 16)
        #expect(error.message == "field column 'totl' does not exist in table 'orders' (did you mean 'total'?)")
    }

    @Test(arguments: LedgerDriver.allCases)
    func aMissingIdentityColumn(on driver: LedgerDriver) async throws {
        let error = try #require(
            try await errors(replacing: "identities: { email: email }", with: "identities: { email: mail }", on: driver).first)
        #expect(error.keyPath == "sources.shop.tables.users.identities")
        #expect(error.line == 8)
        #expect(error.message.contains("identity column 'mail'"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func aMissingLinkColumn(on driver: LedgerDriver) async throws {
        let error = try #require(try await errors(replacing: "column: user_id", with: "column: customer_id", on: driver).first)
        #expect(error.line == 14)
        #expect(error.message.contains("link column 'customer_id'"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func aLinkThatDoesNotResolve(on driver: LedgerDriver) async throws {
        let unmapped = try #require(try await errors(replacing: "references: users.id", with: "references: customers.id", on: driver).first)
        #expect(unmapped.keyPath == "sources.shop.tables.orders.link.references")
        #expect(unmapped.message.contains("links to 'customers', which is not a mapped table"))
        let column = try #require(try await errors(replacing: "references: users.id", with: "references: users.uid", on: driver).first)
        #expect(column.message.contains("referenced column 'uid' does not exist in table 'users'"))
        let malformed = try #require(try await errors(replacing: "references: users.id", with: "references: users", on: driver).first)
        #expect(malformed.message.contains("expected table.column"))
    }

    @Test func aLinkCycle() async throws {
        let error = try #require(
            try await errors(replacing: "identities: { email: email }", with: "link: { column: id, references: orders.id }").first)
        #expect(error.message.contains("cycle"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func aMissingRetentionDateColumn(on driver: LedgerDriver) async throws {
        let error = try #require(try await errors(replacing: "from: created_at", with: "from: created", on: driver).first)
        #expect(error.line == 9)
        #expect(error.message.contains("retention date column 'created'"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func aMissingKeyColumn(on driver: LedgerDriver) async throws {
        let error = try #require(
            try await errors(replacing: "key: id\n        identities", with: "key: uid\n        identities", on: driver).first)
        #expect(error.message.contains("key column 'uid'"))
    }

    @Test func anUnknownStrategy() async throws {
        let error = try #require(try await errors(replacing: "erase: hmac", with: "erase: shred").first)
        #expect(error.keyPath == "sources.shop.tables.users.fields.email.erase")
        #expect(error.line == 11)
        #expect(error.message.contains("expected one of delete-row, null, fixed, hmac, encrypt, restrict, found 'shred'"))
    }

    /// The vault's keys must live apart from the data they protect.
    @Test func aVaultInTheBusinessDatabaseIsRefused() async throws {
        let error = try #require(try await errors(replacing: "vault: vault.sqlite", with: "vault: db.sqlite").first)
        #expect(error.keyPath == "vault")
        #expect(error.message.contains("the key vault needs its own file"))
    }

    /// Plain SHA-256 is reversible by hashing a guess, so it is refused with what to use instead.
    @Test func anUnkeyedHashIsRefusedSuggestingHMAC() async throws {
        let error = try #require(try await errors(replacing: "erase: hmac", with: "erase: hash").first)
        #expect(error.keyPath == "sources.shop.tables.users.fields.email.erase")
        #expect(error.message.contains("an unkeyed hash is not erasure"))
        #expect(error.message.contains("use `hmac`"))
    }

    @Test func anUnknownCategoryShape() async throws {
        let error = try #require(try await errors(replacing: "category: user.financial.order", with: "category: User Financial").first)
        #expect(error.keyPath == "sources.shop.tables.orders.fields.total.category")
        #expect(error.message.contains("dotted lowercase category"))
    }

    @Test func aMissingDatabaseFile() async throws {
        let error = try #require(try await errors(replacing: "path: DATABASE", with: "path: /nonexistent/shop.sqlite").first)
        #expect(error.keyPath == "sources.shop")
        #expect(error.message.contains("does not exist"))
    }

    @Test func neitherIdentitiesNorLink() async throws {
        let error = try #require(try await errors(replacing: "        link: { column: user_id, references: users.id }\n", with: "").first)
        #expect(error.message.contains("either `identities`"))
    }

    @Test(arguments: [
        ("total: {", "\"total; DROP TABLE users\": {"),
        ("  orders:\n", "  \"orders WHERE 1=1 --\":\n"),
        ("column: user_id", "column: \"user_id) OR (1=1\""),
        ("identities: { email: email }", "identities: { email: \"email\\\" OR \\\"1\\\"=\\\"1\" }"),
        ("from: created_at", "from: \"created_at'--\""),
        ("key: id\n        link", "key: \"id; DELETE FROM orders\"\n        link"),
    ])
    func anIdentifierTryingSQLInjectionIsRejected(original: String, injected: String) async throws {
        let errors = try await errors(replacing: original, with: injected)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("is not a plain SQL identifier") == true, "\(errors)")
    }

    @Test(arguments: LedgerDriver.allCases)
    func severalMismatchesAreReportedTogether(on driver: LedgerDriver) async throws {
        let errors = try await dataMapErrors(
            schema: Self.schema,
            map: Self.map
                .replacingOccurrences(of: "total: {", with: "totl: {")
                .replacingOccurrences(of: "from: created_at", with: "from: created"), on: driver)
        #expect(errors.count == 2)
    }

    @Test(arguments: LedgerDriver.allCases)
    func anUnindexedLinkIsAWarning(on driver: LedgerDriver) async throws {
        let schema = Self.schema.replacingOccurrences(of: "CREATE INDEX orders_user ON orders (user_id);", with: "")
        let warnings: [ConfigError]
        if driver == .postgres {
            warnings = try await dataMapLoad(schema: schema, map: Self.map).warnings
        } else {
            let directory = try TemporaryDirectory()
            let database = directory.file("db.sqlite")
            try await DatabaseQueue(path: database).write { db in try db.execute(sql: schema) }
            let map = try DataMap(
                section: ConfigSection.parse(yaml: Self.map.replacingOccurrences(of: "DATABASE", with: database), file: "map.yaml"),
                baseDirectory: directory.path)
            warnings = try await DataMapService.sqlite(map: map).warnings
        }
        #expect(warnings.map(\.message) == ["link column 'orders.user_id' has no index; finding a subject scans the table"])
        #expect(warnings.first?.line == 14)
    }
}

@Suite("An erase strategy the column cannot take is a load error, on SQLite and on PostgreSQL")
struct ErasureStrategyFitTests {
    static let schema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER, nickname TEXT);
        CREATE INDEX users_email ON users (email);
        """

    func errors(_ fields: String, on driver: LedgerDriver) async throws -> [ConfigError] {
        try await dataMapErrors(
            schema: Self.schema,
            map: """
                vault: vault.sqlite
                sources:
                  shop:
                    path: DATABASE
                    tables:
                      users:
                        key: id
                        identities: { email: email }
                        fields:
                \(fields)
                """, on: driver)
    }

    @Test(arguments: LedgerDriver.allCases)
    func nullOnANotNullColumnNamesTheColumnAndWhatFits(on driver: LedgerDriver) async throws {
        let error = try #require(try await errors("          email: { category: user.contact.email, erase: null }", on: driver).first)
        #expect(error.keyPath == "sources.shop.tables.users.fields.email")
        #expect(error.line == 10)
        #expect(error.message.contains("'users.email' is NOT NULL"))
        #expect(error.message.contains("`hmac` or `delete-row`"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func aFixedTextForAnIntegerColumn(on driver: LedgerDriver) async throws {
        let error = try #require(try await errors("          age: { category: user.age, erase: { fixed: unknown } }", on: driver).first)
        #expect(error.message.contains("holds integers"))
        #expect(try await errors("          age: { category: user.age, erase: { fixed: \"0\" } }", on: driver).isEmpty)
        #expect(try await errors("          nickname: { category: user.name, erase: null }", on: driver).isEmpty)
    }

    @Test(arguments: LedgerDriver.allCases)
    func deleteRowWhereAnUnmappedTableRefersToTheRow(on driver: LedgerDriver) async throws {
        let schema = Self.schema + "\nCREATE TABLE audit_trail (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));"
        let errors = try await dataMapErrors(
            schema: schema,
            map: """
                vault: vault.sqlite
                sources:
                  shop:
                    path: DATABASE
                    tables:
                      users:
                        key: id
                        identities: { email: email }
                        fields:
                          nickname: { category: user.name, erase: delete-row }
                """, on: driver)
        let error = try #require(errors.first)
        #expect(error.message.contains("referred to by audit_trail.user_id"))
        #expect(error.message.contains("references: users.id"))
    }
}
