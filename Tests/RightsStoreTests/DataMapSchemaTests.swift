import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("A data map that does not match the database is a load error at its line")
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

    func errors(replacing original: String, with replacement: String) throws -> [ConfigError] {
        #expect(Self.map.contains(original), "fixture changed: \(original)")
        return try dataMapErrors(schema: Self.schema, map: Self.map.replacingOccurrences(of: original, with: replacement))
    }

    @Test func theValidMapLoads() throws {
        #expect(try dataMapErrors(schema: Self.schema, map: Self.map).isEmpty)
    }

    @Test func aMissingTable() throws {
        let error = try #require(try errors(replacing: "  orders:\n", with: "  order:\n").first)
        #expect(error.keyPath == "sources.shop.tables.order")
        #expect(error.line == 13)
        #expect(error.message.contains("table 'order' does not exist"))
        #expect(error.message.contains("did you mean 'orders'?"))
    }

    @Test func aMissingFieldColumn() throws {
        let error = try #require(try errors(replacing: "total: {", with: "totl: {").first)
        #expect(error.keyPath == "sources.shop.tables.orders.fields.totl")
        #expect(error.line == 16)
        #expect(error.message == "field column 'totl' does not exist in table 'orders' (did you mean 'total'?)")
    }

    @Test func aMissingIdentityColumn() throws {
        let error = try #require(try errors(replacing: "identities: { email: email }", with: "identities: { email: mail }").first)
        #expect(error.keyPath == "sources.shop.tables.users.identities")
        #expect(error.line == 8)
        #expect(error.message.contains("identity column 'mail'"))
    }

    @Test func aMissingLinkColumn() throws {
        let error = try #require(try errors(replacing: "column: user_id", with: "column: customer_id").first)
        #expect(error.line == 14)
        #expect(error.message.contains("link column 'customer_id'"))
    }

    @Test func aLinkThatDoesNotResolve() throws {
        let unmapped = try #require(try errors(replacing: "references: users.id", with: "references: customers.id").first)
        #expect(unmapped.keyPath == "sources.shop.tables.orders.link.references")
        #expect(unmapped.message.contains("links to 'customers', which is not a mapped table"))
        let column = try #require(try errors(replacing: "references: users.id", with: "references: users.uid").first)
        #expect(column.message.contains("referenced column 'uid' does not exist in table 'users'"))
        let malformed = try #require(try errors(replacing: "references: users.id", with: "references: users").first)
        #expect(malformed.message.contains("expected table.column"))
    }

    @Test func aLinkCycle() throws {
        let error = try #require(try errors(replacing: "identities: { email: email }", with: "link: { column: id, references: orders.id }").first)
        #expect(error.message.contains("cycle"))
    }

    @Test func aMissingRetentionDateColumn() throws {
        let error = try #require(try errors(replacing: "from: created_at", with: "from: created").first)
        #expect(error.line == 9)
        #expect(error.message.contains("retention date column 'created'"))
    }

    @Test func aMissingKeyColumn() throws {
        let error = try #require(try errors(replacing: "key: id\n        identities", with: "key: uid\n        identities").first)
        #expect(error.message.contains("key column 'uid'"))
    }

    @Test func anUnknownStrategy() throws {
        let error = try #require(try errors(replacing: "erase: hmac", with: "erase: shred").first)
        #expect(error.keyPath == "sources.shop.tables.users.fields.email.erase")
        #expect(error.line == 11)
        #expect(error.message.contains("expected one of delete-row, null, fixed, hmac, encrypt, restrict, found 'shred'"))
    }

    /// The vault's keys must live apart from the data they protect.
    @Test func aVaultInTheBusinessDatabaseIsRefused() throws {
        let error = try #require(try errors(replacing: "vault: vault.sqlite", with: "vault: db.sqlite").first)
        #expect(error.keyPath == "vault")
        #expect(error.message.contains("the key vault needs its own file"))
    }

    /// Plain SHA-256 is reversible by hashing a guess, so it is refused with what to use instead.
    @Test func anUnkeyedHashIsRefusedSuggestingHMAC() throws {
        let error = try #require(try errors(replacing: "erase: hmac", with: "erase: hash").first)
        #expect(error.keyPath == "sources.shop.tables.users.fields.email.erase")
        #expect(error.message.contains("an unkeyed hash is not erasure"))
        #expect(error.message.contains("use `hmac`"))
    }

    @Test func anUnknownCategoryShape() throws {
        let error = try #require(try errors(replacing: "category: user.financial.order", with: "category: User Financial").first)
        #expect(error.keyPath == "sources.shop.tables.orders.fields.total.category")
        #expect(error.message.contains("dotted lowercase category"))
    }

    @Test func aMissingDatabaseFile() throws {
        let error = try #require(try errors(replacing: "path: DATABASE", with: "path: /nonexistent/shop.sqlite").first)
        #expect(error.keyPath == "sources.shop")
        #expect(error.message.contains("does not exist"))
    }

    @Test func neitherIdentitiesNorLink() throws {
        let error = try #require(try errors(replacing: "        link: { column: user_id, references: users.id }\n", with: "").first)
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
    func anIdentifierTryingSQLInjectionIsRejected(original: String, injected: String) throws {
        let errors = try errors(replacing: original, with: injected)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("is not a plain SQL identifier") == true, "\(errors)")
    }

    @Test func severalMismatchesAreReportedTogether() throws {
        let errors = try dataMapErrors(schema: Self.schema, map: Self.map
            .replacingOccurrences(of: "total: {", with: "totl: {")
            .replacingOccurrences(of: "from: created_at", with: "from: created"))
        #expect(errors.count == 2)
    }

    @Test func anUnindexedLinkIsAWarning() throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("db.sqlite")
        try DatabaseQueue(path: database).write { db in
            try db.execute(sql: Self.schema.replacingOccurrences(of: "CREATE INDEX orders_user ON orders (user_id);", with: ""))
        }
        let map = try DataMap(section: ConfigSection.parse(yaml: Self.map.replacingOccurrences(of: "DATABASE", with: database), file: "map.yaml"), baseDirectory: directory.path)
        let service = try SQLiteDataService(map: map)
        #expect(service.warnings.map(\.message) == ["link column 'orders.user_id' has no index; finding a subject scans the table"])
        #expect(service.warnings.first?.line == 14)
    }
}

@Suite("An erase strategy the column cannot take is a load error")
struct ErasureStrategyFitTests {
    static let schema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER, nickname TEXT);
        CREATE INDEX users_email ON users (email);
        """

    func errors(_ fields: String) throws -> [ConfigError] {
        try dataMapErrors(schema: Self.schema, map: """
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
            """)
    }

    @Test func nullOnANotNullColumnNamesTheColumnAndWhatFits() throws {
        let error = try #require(try errors("          email: { category: user.contact.email, erase: null }").first)
        #expect(error.keyPath == "sources.shop.tables.users.fields.email")
        #expect(error.line == 10)
        #expect(error.message.contains("'users.email' is NOT NULL"))
        #expect(error.message.contains("`hmac` or `delete-row`"))
    }

    @Test func aFixedTextForAnIntegerColumn() throws {
        let error = try #require(try errors("          age: { category: user.age, erase: { fixed: unknown } }").first)
        #expect(error.message.contains("holds integers"))
        #expect(try errors("          age: { category: user.age, erase: { fixed: \"0\" } }").isEmpty)
        #expect(try errors("          nickname: { category: user.name, erase: null }").isEmpty)
    }

    @Test func deleteRowWhereAnUnmappedTableRefersToTheRow() throws {
        let schema = Self.schema + "\nCREATE TABLE audit_trail (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));"
        let errors = try dataMapErrors(schema: schema, map: """
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
            """)
        let error = try #require(errors.first)
        #expect(error.message.contains("referred to by audit_trail.user_id"))
        #expect(error.message.contains("references: users.id"))
    }
}
