import Foundation
import GRDB
import RightsKernel
public import RightsStorage

/// A cloud provider's business database, generated deterministically: accounts (with real-name
/// authentication fields that can only be changed where the account was registered), third-party
/// logins, login devices, orders and their payment transactions (under legal retention),
/// activated services, consents by purpose, and support tickets filed by email.
///
/// The default deployment, the tests and the benchmark all use it, so a new user sees real
/// behaviour at once. Subject `n` (from 1) has user id `u000000n`, email `user<n>@example.cn`
/// and phone `+86130000000n` (nine digits after `+8613`).
public struct SampleBusinessDatabase: Sendable {
    public var subjects: Int
    /// Extra orders (each with a transaction) given to subject 1, to export a very large subject.
    public var heavyRows: Int
    public var seed: UInt64

    public init(subjects: Int, heavyRows: Int = 0, seed: UInt64 = 20_261_129) {
        self.subjects = subjects
        self.heavyRows = heavyRows
        self.seed = seed
    }

    public static func email(_ subject: Int) -> String { "user\(subject)@example.cn" }
    public static func phone(_ subject: Int) -> String { "+8613" + String(format: "%09d", subject) }
    public static func userID(_ subject: Int) -> String { "u" + String(format: "%07d", subject) }

    public static let products = ["bcc", "bos", "qianfan"]
    public static let purposes = ["marketing", "personalisation", "analytics"]

    /// Writes the database at `path` (replacing it) and each subject's encryption key to the
    /// SQLite vault at `vaultPath`.
    public func write(to path: String, vaultPath: String) throws {
        try InlineTaskExecutor.run {
            let vault = try await SubjectKeyVault.sqlite(path: vaultPath)
            do {
                try await self.write(to: path, vault: vault)
                await vault.close()
            } catch {
                await vault.close()
                throw error
            }
        }
    }

    /// Writes the database at `path` (replacing it) and each subject's encryption key to `vault`.
    public func write(to path: String, vault: SubjectKeyVault) async throws {
        let sealer = try await vault.sealer(for: subjects > 0 ? (1...subjects).map { "accounts:\($0)" } : [])
        try write(to: path, sealer: sealer)
    }

    private func write(to path: String, sealer: SubjectSealer) throws {
        let fileManager = FileManager.default
        try PrivateFiles.createFolder(URL(fileURLWithPath: path).deletingLastPathComponent())
        for suffix in ["", "-wal", "-shm"] where fileManager.fileExists(atPath: path + suffix) {
            try fileManager.removeItem(atPath: path + suffix)
        }
        try PrivateFiles.prepareDatabase(atPath: path)
        let database = try DatabaseQueue(path: path)
        try database.write { db in try db.execute(sql: Self.schema) }
        var random = SeededGenerator(seed: seed)
        let batch = 10_000
        for start in stride(from: 1, through: max(subjects, 1), by: batch) where subjects > 0 {
            let end = min(start + batch - 1, subjects)
            try database.write { db in
                let statements = try Statements(db)
                for subject in start...end {
                    try insertSubject(subject, statements: statements, encrypt: sealer.seal, random: &random)
                }
            }
        }
        if heavyRows > 0, subjects > 0 {
            try database.write { db in
                let statements = try Statements(db)
                for index in 0..<heavyRows {
                    let created = Self.day(1_500 + index % 400)
                    let order = try statements.order(
                        account: 1, number: "H\(index)", product: Self.products[index % 3], cents: 100 + index % 9_000, created: created)
                    try statements.transaction.execute(arguments: [order, created, 100 + index % 9_000, "alipay", nil])
                }
            }
        }
    }

    private func insertSubject(_ n: Int, statements: Statements, encrypt: (String, String) throws -> String, random: inout SeededGenerator)
        throws
    {
        let created = Self.day(random.number(0...900))
        let family = random.pick(["Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"])
        let given = random.pick(["Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Hua", "Ping", "Xin"])
        let idNumber = String(
            format: "110101%04d%02d%02d%04d", 1960 + random.number(0...45), random.number(1...12), random.number(1...28),
            random.number(0...9_999))
        try statements.account.execute(arguments: [
            n, Self.userID(n), Self.email(n), Self.phone(n), "\(given.lowercased())\(n)", "\(family) \(given)",
            try encrypt(idNumber, "accounts:\(n)"), "No. \(random.number(1...300)) Zhongguancun Street, Beijing", created, "active",
        ])
        if n % 3 == 0 {
            try statements.login.execute(arguments: [
                n, random.pick(["wechat", "weibo", "qq"]), String(format: "ext%012llx", random.next() & 0xFFFF_FFFF_FFFF), created,
            ])
        }
        for _ in 0..<random.number(1...3) {
            try statements.device.execute(arguments: [
                n, random.pick(["iPhone 15", "Pixel 8", "ThinkPad X1", "MacBook Air"]),
                "10.\(random.number(0...255)).\(random.number(0...255)).\(random.number(1...254))", Self.day(random.number(600...1_050)),
            ])
        }
        for index in 0..<random.number(0...4) {
            // Orders from 2021 to 2026: the older ones are past the three-year retention period.
            let orderDay = random.number(-1_000...1_050)
            let cents = random.number(500...500_000)
            let order = try statements.order(
                account: n, number: "O\(n)-\(index)", product: random.pick(Self.products), cents: cents, created: Self.day(orderDay))
            try statements.transaction.execute(arguments: [
                order, Self.day(orderDay), cents, random.pick(["alipay", "wechat-pay", "card"]),
                String(format: "%04d", random.number(0...9_999)),
            ])
        }
        var products = Self.products
        for _ in 0..<random.number(1...3) {
            let product = products.remove(at: random.number(0...(products.count - 1)))
            try statements.service.execute(arguments: [n, product, Self.day(random.number(0...1_000)), "active"])
        }
        for purpose in Self.purposes {
            let withdrawn: String? = random.number(0...9) == 0 ? Self.day(random.number(900...1_050)) : nil
            try statements.consent.execute(arguments: [n, purpose, created, withdrawn])
        }
        if n % 5 == 0 {
            try statements.ticket.execute(arguments: [
                Self.email(n), "Invoice question", "Please resend the invoice for my last order.", Self.day(random.number(700...1_050)),
            ])
        }
    }

    /// `yyyy-MM-dd` for a number of days after 2024-01-01 (negative: before).
    static func day(_ offset: Int) -> String {
        let date = Date(timeIntervalSince1970: 1_704_067_200 + Double(offset) * 86_400)
        return date.formatted(.iso8601.year().month().day())
    }

    static let schema = """
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, email TEXT, phone TEXT, display_name TEXT,
            real_name TEXT, id_number TEXT, address TEXT, created_at TEXT NOT NULL, status TEXT NOT NULL);
        CREATE INDEX accounts_email ON accounts (email);
        CREATE INDEX accounts_phone ON accounts (phone);
        CREATE TABLE third_party_logins (
            id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), provider TEXT NOT NULL,
            external_id TEXT NOT NULL, linked_at TEXT NOT NULL);
        CREATE INDEX third_party_logins_account ON third_party_logins (account_id);
        CREATE TABLE login_devices (
            id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), device_name TEXT,
            ip_address TEXT, last_seen TEXT);
        CREATE INDEX login_devices_account ON login_devices (account_id);
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), order_no TEXT NOT NULL,
            product TEXT NOT NULL, amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX orders_account ON orders (account_id);
        CREATE TABLE transactions (
            id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id), paid_at TEXT NOT NULL,
            amount_cents INTEGER NOT NULL, payment_method TEXT NOT NULL, card_last4 TEXT);
        CREATE INDEX transactions_order ON transactions (order_id);
        CREATE TABLE activated_services (
            id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), product TEXT NOT NULL,
            activated_at TEXT NOT NULL, status TEXT NOT NULL);
        CREATE INDEX activated_services_account ON activated_services (account_id);
        CREATE TABLE consents (
            id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id), purpose TEXT NOT NULL,
            granted_at TEXT NOT NULL, withdrawn_at TEXT);
        CREATE INDEX consents_account ON consents (account_id);
        CREATE TABLE support_tickets (
            id INTEGER PRIMARY KEY, contact_email TEXT NOT NULL, subject_line TEXT, body TEXT, created_at TEXT NOT NULL);
        CREATE INDEX support_tickets_email ON support_tickets (contact_email);
        """

    /// Prepared inserts, reused for every subject of a batch.
    private struct Statements {
        let db: Database
        let account, login, device, orderInsert, transaction, service, consent, ticket: Statement

        init(_ db: Database) throws {
            self.db = db
            account = try db.makeStatement(sql: "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            login = try db.makeStatement(
                sql: "INSERT INTO third_party_logins (account_id, provider, external_id, linked_at) VALUES (?, ?, ?, ?)")
            device = try db.makeStatement(
                sql: "INSERT INTO login_devices (account_id, device_name, ip_address, last_seen) VALUES (?, ?, ?, ?)")
            orderInsert = try db.makeStatement(
                sql: "INSERT INTO orders (account_id, order_no, product, amount_cents, currency, created_at) VALUES (?, ?, ?, ?, 'CNY', ?)")
            transaction = try db.makeStatement(
                sql: "INSERT INTO transactions (order_id, paid_at, amount_cents, payment_method, card_last4) VALUES (?, ?, ?, ?, ?)")
            service = try db.makeStatement(
                sql: "INSERT INTO activated_services (account_id, product, activated_at, status) VALUES (?, ?, ?, ?)")
            consent = try db.makeStatement(sql: "INSERT INTO consents (account_id, purpose, granted_at, withdrawn_at) VALUES (?, ?, ?, ?)")
            ticket = try db.makeStatement(
                sql: "INSERT INTO support_tickets (contact_email, subject_line, body, created_at) VALUES (?, ?, ?, ?)")
        }

        func order(account: Int, number: String, product: String, cents: Int, created: String) throws -> Int64 {
            try orderInsert.execute(arguments: [account, number, product, cents, created])
            return db.lastInsertedRowID
        }
    }
}
