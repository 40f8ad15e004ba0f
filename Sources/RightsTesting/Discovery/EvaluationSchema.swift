import Foundation
import GRDB
import Logging
import RightsDrivers
import RightsPostgres
import RightsStore

/// A schema of the discovery evaluation set: its tables, how each value is made, and the
/// hand-labelled truth (each column's category, each table's link to the person).
package struct EvaluationSchema: Sendable {
    package struct Column: Sendable {
        package var name: String
        /// The declared type and constraints (`INTEGER PRIMARY KEY`, `TEXT REFERENCES yonghu(id)`).
        package var definition: String
        package var kind: ValueKind
        /// The category by hand; nil for a column that holds nothing personal.
        package var truth: String?

        package init(name: String, definition: String, kind: ValueKind, truth: String?) {
            self.name = name
            self.definition = definition
            self.kind = kind
            self.truth = truth
        }
    }

    package enum Link: Sendable, Equatable {
        /// The person's own table, found by identities.
        case subject
        /// Reaches the person through `column` onto `table`.
        case parent(column: String, table: String)
        /// Holds nothing personal: not mapped.
        case none
    }

    package struct Table: Sendable {
        package var name: String
        package var rows: Int
        package var link: Link
        package var columns: [Column]

        package init(name: String, rows: Int, link: Link, columns: [Column]) {
            self.name = name
            self.rows = rows
            self.link = link
            self.columns = columns
        }
    }

    package var name: String
    package var tables: [Table]

    package init(name: String, tables: [Table]) {
        self.name = name
        self.tables = tables
    }

    /// Writes the schema and its rows to a new SQLite file.
    package func write(to path: String) throws {
        var configuration = Configuration()
        // Rows go in table by table; their references hold once all are written.
        configuration.foreignKeysEnabled = false
        let database = try DatabaseQueue(path: path, configuration: configuration)
        var random = SeededGenerator(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(7) { $0 &* 31 &+ Int($1) }))
        try database.write { db in
            for table in tables {
                let columns = table.columns.map { "\($0.name) \($0.definition)" }.joined(separator: ", ")
                try db.execute(sql: "CREATE TABLE \(table.name) (\(columns))")
            }
            for table in tables {
                let placeholders = table.columns.map { _ in "?" }.joined(separator: ", ")
                let statement = try db.makeStatement(
                    sql: "INSERT INTO \(table.name) (\(table.columns.map(\.name).joined(separator: ", "))) VALUES (\(placeholders))")
                for row in 1...table.rows {
                    let values = table.columns.map { column -> DatabaseValue in
                        guard let text = column.kind.value(row: row, random: &random) else { return .null }
                        if column.definition.uppercased().hasPrefix("INTEGER"), let number = Int64(text) { return number.databaseValue }
                        return text.databaseValue
                    }
                    try statement.execute(arguments: StatementArguments(values))
                }
            }
        }
        try database.close()
    }

    /// Every personal column by hand: table.column → category.
    package var personalColumns: [String: String] {
        var found: [String: String] = [:]
        for table in tables {
            for column in table.columns { if let truth = column.truth { found["\(table.name).\(column.name)"] = truth } }
        }
        return found
    }

    package static let all: [EvaluationSchema] = [pinyinShop, misleadingNames, linksByConvention]

    /// A Chinese shop whose columns are pinyin and pinyin initials (`sjh` 手机号, `sfzh` 身份证号).
    package static let pinyinShop = EvaluationSchema(
        name: "pinyin-shop",
        tables: [
            Table(
                name: "yonghu", rows: 800, link: .subject,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "yhm", definition: "TEXT NOT NULL UNIQUE", kind: .username, truth: "user.account.username"),
                    Column(name: "xm", definition: "TEXT", kind: .chineseName, truth: "user.identity.real_name"),
                    Column(name: "sjh", definition: "TEXT UNIQUE", kind: .cnMobile, truth: "user.contact.phone"),
                    Column(name: "sfzh", definition: "TEXT", kind: .residentID, truth: "user.identity.government_id"),
                    Column(name: "yx", definition: "TEXT", kind: .email, truth: "user.contact.email"),
                    Column(name: "csrq", definition: "TEXT", kind: .birthDate, truth: "user.demographic.date_of_birth"),
                    Column(name: "xb", definition: "TEXT", kind: .gender, truth: "user.demographic.gender"),
                    Column(name: "mm", definition: "TEXT NOT NULL", kind: .passwordHash, truth: "user.account.credentials"),
                    // Held out: nothing in the vocabulary names an avatar (头像, tx).
                    Column(name: "tx", definition: "TEXT", kind: .avatarURL, truth: "user.account.avatar"),
                    Column(name: "zt", definition: "TEXT", kind: .status, truth: nil),
                    Column(name: "cjsj", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "dingdan", rows: 2_000, link: .parent(column: "yhid", table: "yonghu"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "yhid", definition: "INTEGER NOT NULL REFERENCES yonghu(id)", kind: .reference(rows: 800), truth: nil),
                    Column(name: "ddh", definition: "TEXT NOT NULL", kind: .code(prefix: "DD"), truth: "user.financial.transaction"),
                    Column(name: "zje", definition: "INTEGER", kind: .amountCents, truth: "user.financial.transaction"),
                    Column(name: "shdz", definition: "TEXT", kind: .chineseAddress, truth: "user.contact.address"),
                    Column(name: "shrxm", definition: "TEXT", kind: .chineseName, truth: "user.identity.real_name"),
                    Column(name: "lxdh", definition: "TEXT", kind: .cnMobile, truth: "user.contact.phone"),
                    Column(name: "zt", definition: "TEXT", kind: .status, truth: nil),
                    Column(name: "cjsj", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "dingdan_mx", rows: 4_000, link: .parent(column: "ddid", table: "dingdan"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "ddid", definition: "INTEGER NOT NULL REFERENCES dingdan(id)", kind: .reference(rows: 2_000), truth: nil),
                    Column(name: "spid", definition: "INTEGER REFERENCES shangpin(id)", kind: .reference(rows: 200), truth: nil),
                    Column(name: "sl", definition: "INTEGER", kind: .count, truth: "user.financial.transaction"),
                    Column(name: "dj", definition: "INTEGER", kind: .amountCents, truth: "user.financial.transaction"),
                ]),
            Table(
                name: "shangpin", rows: 200, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "spmc", definition: "TEXT", kind: .productName, truth: nil),
                    Column(name: "jg", definition: "INTEGER", kind: .amountCents, truth: nil),
                    Column(name: "kc", definition: "INTEGER", kind: .count, truth: nil),
                ]),
            Table(
                name: "dlrz", rows: 3_000, link: .parent(column: "yhid", table: "yonghu"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "yhid", definition: "INTEGER REFERENCES yonghu(id)", kind: .reference(rows: 800), truth: nil),
                    Column(name: "dlip", definition: "TEXT", kind: .ipv4, truth: "user.device.ip_address"),
                    Column(name: "sbh", definition: "TEXT", kind: .userAgent, truth: "user.device"),
                    Column(name: "dlsj", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "yhk", rows: 600, link: .parent(column: "yhid", table: "yonghu"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "yhid", definition: "INTEGER REFERENCES yonghu(id)", kind: .reference(rows: 800), truth: nil),
                    Column(name: "kh", definition: "TEXT", kind: .card, truth: "user.financial.card"),
                    Column(name: "xm", definition: "TEXT", kind: .chineseName, truth: "user.identity.real_name"),
                ]),
            Table(
                name: "kefu_liuyan", rows: 500, link: .parent(column: "yhid", table: "yonghu"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "yhid", definition: "INTEGER", kind: .reference(rows: 800), truth: nil),
                    Column(name: "nr", definition: "TEXT", kind: .proseSometimesPersonal(percent: 20), truth: "user.content.free_text"),
                    Column(name: "cjsj", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "xtpz", rows: 30, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "pzm", definition: "TEXT", kind: .sku, truth: nil),
                    Column(name: "pzz", definition: "TEXT", kind: .jsonSettings, truth: nil),
                ]),
            Table(
                name: "wenzhang", rows: 100, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "bt", definition: "TEXT", kind: .prose, truth: nil),
                    Column(name: "nr", definition: "TEXT", kind: .prose, truth: nil),
                ]),
        ])

    /// English names that mislead: a `contact` column of emails, a `ref` of phone numbers, an
    /// `email_opt_in` flag, email templates, and free text that sometimes holds contacts.
    package static let misleadingNames = EvaluationSchema(
        name: "misleading-names",
        tables: [
            Table(
                name: "people", rows: 500, link: .subject,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "handle", definition: "TEXT NOT NULL UNIQUE", kind: .username, truth: "user.account.username"),
                    Column(name: "contact", definition: "TEXT", kind: .email, truth: "user.contact.email"),
                    Column(name: "ref", definition: "TEXT", kind: .e164, truth: "user.contact.phone"),
                    Column(name: "legal_name", definition: "TEXT", kind: .englishName, truth: "user.identity.real_name"),
                    Column(name: "born", definition: "TEXT", kind: .birthDate, truth: "user.demographic.date_of_birth"),
                    Column(name: "memo", definition: "TEXT", kind: .proseSometimesPersonal(percent: 15), truth: "user.content.free_text"),
                    Column(name: "score", definition: "INTEGER", kind: .count, truth: nil),
                    // Held out: a preference that names contact channels without holding one.
                    Column(name: "contact_pref", definition: "TEXT", kind: .channel, truth: nil),
                    Column(name: "email_opt_in", definition: "INTEGER", kind: .flag, truth: nil),
                    Column(name: "created_at", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "tickets", rows: 800, link: .parent(column: "person_id", table: "people"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "person_id", definition: "INTEGER REFERENCES people(id)", kind: .reference(rows: 500), truth: nil),
                    Column(name: "notes", definition: "TEXT", kind: .proseSometimesPersonal(percent: 25), truth: "user.content.free_text"),
                    Column(name: "status", definition: "TEXT", kind: .status, truth: nil),
                    Column(name: "priority", definition: "INTEGER", kind: .rating, truth: nil),
                ]),
            Table(
                name: "events", rows: 1_500, link: .parent(column: "person_id", table: "people"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "person_id", definition: "INTEGER REFERENCES people(id)", kind: .reference(rows: 500), truth: nil),
                    Column(name: "payload", definition: "TEXT", kind: .jsonProfile, truth: "user.device.ip_address"),
                    Column(name: "kind", definition: "TEXT", kind: .status, truth: nil),
                    Column(name: "at", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "products", rows: 100, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "name", definition: "TEXT", kind: .productName, truth: nil),
                    Column(name: "description", definition: "TEXT", kind: .prose, truth: nil),
                    Column(name: "price", definition: "INTEGER", kind: .amountCents, truth: nil),
                ]),
            Table(
                name: "email_templates", rows: 20, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "name", definition: "TEXT", kind: .sku, truth: nil),
                    Column(name: "subject", definition: "TEXT", kind: .prose, truth: nil),
                    Column(name: "body", definition: "TEXT", kind: .prose, truth: nil),
                ]),
            Table(
                name: "mobile_app_versions", rows: 10, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "mobile_version", definition: "TEXT", kind: .sku, truth: nil),
                    Column(name: "released_at", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "server_nodes", rows: 12, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "hostname", definition: "TEXT", kind: .sku, truth: nil),
                    Column(name: "address", definition: "TEXT", kind: .hostIP, truth: nil),
                ]),
        ])

    /// Links no constraint declares: `cust_no` holds a customer's code, `order_ref` an order's.
    package static let linksByConvention = EvaluationSchema(
        name: "links-by-convention",
        tables: [
            Table(
                name: "customers", rows: 600, link: .subject,
                columns: [
                    Column(name: "customer_no", definition: "TEXT PRIMARY KEY", kind: .code(prefix: "C"), truth: nil),
                    Column(name: "full_name", definition: "TEXT NOT NULL", kind: .englishName, truth: "user.identity.real_name"),
                    Column(name: "email", definition: "TEXT UNIQUE", kind: .email, truth: "user.contact.email"),
                    Column(name: "mobile", definition: "TEXT", kind: .localPhone, truth: "user.contact.phone"),
                    Column(name: "birth_date", definition: "TEXT", kind: .birthDate, truth: "user.demographic.date_of_birth"),
                    Column(name: "postcode", definition: "TEXT", kind: .postcode, truth: "user.contact.address"),
                    Column(name: "joined_at", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "orders", rows: 1_500, link: .parent(column: "cust_no", table: "customers"),
                columns: [
                    Column(name: "order_no", definition: "TEXT PRIMARY KEY", kind: .code(prefix: "O"), truth: nil),
                    Column(name: "cust_no", definition: "TEXT", kind: .codeReference(prefix: "C", rows: 600), truth: nil),
                    Column(name: "total", definition: "REAL", kind: .decimalAmount, truth: "user.financial.transaction"),
                    Column(name: "ship_address", definition: "TEXT", kind: .englishAddress, truth: "user.contact.address"),
                    Column(name: "status", definition: "TEXT", kind: .status, truth: nil),
                    Column(name: "placed_at", definition: "TEXT", kind: .recentTime, truth: nil),
                ]),
            Table(
                name: "order_items", rows: 3_000, link: .parent(column: "order_no", table: "orders"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "order_no", definition: "TEXT", kind: .codeReference(prefix: "O", rows: 1_500), truth: nil),
                    Column(name: "sku", definition: "TEXT", kind: .sku, truth: "user.financial.transaction"),
                    Column(name: "qty", definition: "INTEGER", kind: .count, truth: "user.financial.transaction"),
                    Column(name: "price", definition: "INTEGER", kind: .amountCents, truth: "user.financial.transaction"),
                ]),
            Table(
                name: "payments", rows: 1_400, link: .parent(column: "order_ref", table: "orders"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "order_ref", definition: "TEXT", kind: .codeReference(prefix: "O", rows: 1_500), truth: nil),
                    Column(name: "card_number", definition: "TEXT", kind: .card, truth: "user.financial.card"),
                    Column(name: "amount", definition: "REAL", kind: .decimalAmount, truth: "user.financial.transaction"),
                    Column(name: "paid_at", definition: "TEXT", kind: .recentTime, truth: "user.financial.transaction"),
                ]),
            Table(
                name: "addresses", rows: 700, link: .parent(column: "customer", table: "customers"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "customer", definition: "TEXT", kind: .codeReference(prefix: "C", rows: 600), truth: nil),
                    Column(name: "line1", definition: "TEXT", kind: .englishAddress, truth: "user.contact.address"),
                    Column(name: "zip", definition: "TEXT", kind: .postcode, truth: "user.contact.address"),
                ]),
            Table(
                name: "reviews", rows: 900, link: .parent(column: "cust_no", table: "customers"),
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "cust_no", definition: "TEXT", kind: .codeReference(prefix: "C", rows: 600), truth: nil),
                    Column(name: "rating", definition: "INTEGER", kind: .rating, truth: nil),
                    Column(
                        name: "review_text", definition: "TEXT", kind: .proseSometimesPersonal(percent: 10), truth: "user.content.free_text"
                    ),
                ]),
            Table(
                name: "inventory", rows: 150, link: .none,
                columns: [
                    Column(name: "sku", definition: "TEXT PRIMARY KEY", kind: .code(prefix: "SKU"), truth: nil),
                    Column(name: "warehouse", definition: "TEXT", kind: .status, truth: nil),
                    Column(name: "stock", definition: "INTEGER", kind: .count, truth: nil),
                ]),
            Table(
                name: "exchange_rates", rows: 40, link: .none,
                columns: [
                    Column(name: "id", definition: "INTEGER PRIMARY KEY", kind: .serial, truth: nil),
                    Column(name: "currency", definition: "TEXT", kind: .status, truth: nil),
                    Column(name: "rate", definition: "REAL", kind: .decimalAmount, truth: nil),
                ]),
        ])
}

extension EvaluationSchema {
    /// Copies the SQLite file at `path` (as ``write(to:)`` wrote it) into the empty PostgreSQL
    /// database at `url`, keys and references included.
    package static func copy(sqlite path: String, into url: String) async throws {
        try await SQLiteDatabaseCopy(path: path).copy(into: try PostgresLocation(url: url), logger: Logger(label: "rightskit.test"))
    }
}
