import Crypto
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("Erasure and correction leave the expected bytes on disk")
struct DataMapEraseCorrectTests {
    /// 2026-11-30: orders from before 2023-12-01 are past the three-year retention period.
    let now = Date(timeIntervalSince1970: 1_796_029_200)

    @Test func eachStrategyLeavesTheExpectedBytes() async throws {
        let sample = try SampleData()
        let raw = try sample.raw
        let before = try raw.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = 12") }
        let original = try #require(before)
        let report = try await sample.service.erase(SampleData.identities(12), scope: .everything, request: RequestID(), at: now)

        let after = try #require(try raw.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = 12") })
        // hmac: the deployment-keyed HMAC of the old value.
        #expect(after["email"] as String == sample.service.keyVault.hmac(SampleBusinessDatabase.email(12)))
        #expect((after["email"] as String).count == 64)
        // null
        #expect((after["phone"] as String?) == nil)
        #expect((after["address"] as String?) == nil)
        // fixed
        #expect(after["display_name"] as String == "Deleted user")
        // The real name is keyed too: hashing the known name does not find it.
        let realName: String = original["real_name"]
        #expect(after["real_name"] as String != SHA256.hash(data: Data(realName.utf8)).map { String(format: "%02x", $0) }.joined())
        #expect(after["real_name"] as String == sample.service.keyVault.hmac(realName))
        // encrypt: the ciphertext stays, the key is gone, so it can no longer be read.
        #expect(after["id_number"] as String == original["id_number"] as String)
        #expect(try !sample.service.keyVault.hasKey(subject: "accounts:12"))
        #expect(try sample.service.keyVault.decrypt(after["id_number"], subject: "accounts:12") == nil)
        // Neighbours are untouched, and their keys survive.
        #expect(try await raw.read { db in try String.fetchOne(db, sql: "SELECT email FROM accounts WHERE id = 13") } == SampleBusinessDatabase.email(13))
        #expect(try sample.service.keyVault.hasKey(subject: "accounts:13"))
        // delete-row
        let devices = try await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM login_devices WHERE account_id = 12") }
        #expect(devices == 0)
        #expect(try await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM login_devices WHERE account_id = 13") } ?? 0 > 0)
        #expect(report.deletedRows["business.login_devices"] ?? 0 > 0)
        #expect(report.erased.contains { $0.table == "accounts" && $0.column == "id_number" && $0.strategy == "encrypt" })
    }

    @Test func retentionTurnsErasureIntoRestrictionWithItsEndDate() async throws {
        let sample = try SampleData(subjects: 60)
        let raw = try sample.raw
        // A subject with both old orders (past retention) and recent ones (still held).
        let subject = try #require(try await raw.read { db in
            try Int.fetchOne(db, sql: """
                SELECT account_id FROM orders GROUP BY account_id
                HAVING SUM(created_at < '2023-11-30') > 0 AND SUM(created_at >= '2023-12-01') > 0 LIMIT 1
                """)
        })
        let recent = try raw.read { db in try Row.fetchAll(db, sql: "SELECT id, created_at FROM orders WHERE account_id = ? AND created_at >= '2023-12-01'", arguments: [subject]) }
        let request = RequestID()
        let report = try await sample.service.erase(SampleData.identities(subject), scope: .everything, request: request, at: now)

        let remaining = try await raw.read { db in try Int.fetchAll(db, sql: "SELECT id FROM orders WHERE account_id = ? ORDER BY id", arguments: [subject]) }
        #expect(Set(remaining) == Set(recent.map { $0["id"] as Int }), "old orders are deleted, held ones stay")
        for order in recent {
            let records = try sample.service.restrictions(source: "business", table: "orders", rowKey: "\(order["id"] as Int)")
            let record = try #require(records.first)
            #expect(record.basis == "E-Commerce Law Art. 31")
            let start = try #require(Timestamp.date(order["created_at"]))
            // Three calendar years (the sample map has no deployment, so UTC), not 3 × 365 days.
            #expect(record.liftsAt == CalendarPeriod.years(3).added(to: start, in: TimeZone(identifier: "UTC")!))
            #expect(record.request == request.rawValue)
            #expect(record.columns == ["order_no", "product", "amount_cents"])
        }
        let restricted = try #require(report.restricted.first { $0.table == "orders" })
        #expect(restricted.rows == recent.count)
        #expect(restricted.until != nil)
    }

    @Test func aTechnicallyInfeasibleFieldIsRestrictedIndefinitely() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("db.sqlite")
        try await DatabaseQueue(path: database).write { db in
            try db.execute(sql: """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); CREATE INDEX users_email ON users (email);
                CREATE TABLE backups (id INTEGER PRIMARY KEY, user_id INTEGER, blob TEXT); CREATE INDEX backups_user ON backups (user_id);
                INSERT INTO users VALUES (1, 'a@example.cn'); INSERT INTO backups VALUES (1, 1, 'tape-17');
                """)
        }
        let map = try DataMap(section: ConfigSection.parse(yaml: """
            vault: vault.sqlite
            sources:
              main:
                path: db.sqlite
                tables:
                  users: { key: id, identities: { email: email }, fields: { email: { category: user.contact.email, erase: null } } }
                  backups: { key: id, link: { column: user_id, references: users.id }, fields: { blob: { category: user.backup, erase: restrict } } }
            """, file: "map.yaml"), baseDirectory: directory.path)
        let service = try SQLiteDataService(map: map)
        let report = try await service.erase([SubjectIdentity(kind: "email", value: "a@example.cn")], scope: .everything, request: RequestID(), at: now)
        #expect(report.restricted.map(\.basis) == ["technically infeasible to delete"])
        #expect(report.restricted.first?.until == nil)
        let record = try #require(try service.restrictions(source: "main", table: "backups", rowKey: "1").first)
        #expect(record.liftsAt == nil)
        #expect(try await DatabaseQueue(path: database).read { db in try String.fetchOne(db, sql: "SELECT blob FROM backups") } == "tape-17")
    }

    @Test func aRetriedErasureDoesNoDoubleWork() async throws {
        let sample = try SampleData()
        let request = RequestID()
        let first = try await sample.service.erase(SampleData.identities(20), scope: .everything, request: request, at: now)
        let raw = try sample.raw
        let snapshot = try raw.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = 20") }
        let second = try await sample.service.erase(SampleData.identities(20), scope: .everything, request: request, at: now)
        #expect(second == first)
        #expect(try raw.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = 20") } == snapshot, "hashing twice would change the bytes")
        let restrictions = try await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rightskit_restrictions WHERE request_id = ?", arguments: [request.rawValue]) }
        #expect(restrictions == first.restricted.reduce(0) { $0 + $1.rows } || first.restricted.isEmpty)
    }

    @Test func correctionUpdatesCorrectableFieldsAndProvesItByFingerprint() async throws {
        let sample = try SampleData()
        let result = try await sample.service.correct(SampleData.identities(8), field: "user.contact.phone", value: "+8613912345678", scope: .everything, request: RequestID())
        guard case .corrected(let changes) = result else { Issue.record("not corrected: \(result)"); return }
        #expect(changes.map { "\($0.table).\($0.column)" } == ["accounts.phone"])
        #expect(changes.first?.oldFingerprints == [sample.service.fingerprint(SampleBusinessDatabase.phone(8))])
        #expect(changes.first?.newFingerprint == sample.service.fingerprint("+8613912345678"))
        #expect(changes.first?.supplemented == false)
        let stored = try await sample.raw.read { db in try String.fetchOne(db, sql: "SELECT phone FROM accounts WHERE id = 8") }
        #expect(stored == "+8613912345678")
        #expect(try await sample.raw.read { db in try String.fetchOne(db, sql: "SELECT phone FROM accounts WHERE id = 9") } == SampleBusinessDatabase.phone(9))
    }

    @Test func supplementingAnEmptyFieldIsRecordedAsSuch() async throws {
        let sample = try SampleData()
        try await sample.raw.write { db in try db.execute(sql: "UPDATE accounts SET address = NULL WHERE id = 8") }
        let result = try await sample.service.correct(SampleData.identities(8), field: "accounts.address", value: "No. 10 Xibeiwang East Road", scope: .everything, request: RequestID())
        guard case .corrected(let changes) = result else { Issue.record("not corrected"); return }
        #expect(changes.first?.supplemented == true)
        #expect(changes.first?.oldFingerprints == [])
    }

    @Test func aNonCorrectableFieldIsRefusedWithWhereToGo() async throws {
        let sample = try SampleData()
        let result = try await sample.service.correct(SampleData.identities(8), field: "user.identity.real_name", value: "Wang Fang", scope: .everything, request: RequestID())
        #expect(result == .refused(field: "accounts.real_name", correctAt: "the website where the original account was registered"))
        let realName = try await sample.raw.read { db in try String.fetchOne(db, sql: "SELECT real_name FROM accounts WHERE id = 8") }
        #expect(realName != "Wang Fang")
        #expect(try await sample.service.correct(SampleData.identities(8), field: "user.favourite_colour", value: "blue", scope: .everything, request: RequestID()) == .unknownField("user.favourite_colour"))
    }

    @Test func anEncryptedCorrectableFieldStaysEncrypted() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("db.sqlite")
        let vault = try SubjectKeyVault(path: directory.file("vault.sqlite"))
        let sealed = try vault.encrypt("old secret", subject: "users:1")
        try await DatabaseQueue(path: database).write { db in
            try db.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, note TEXT); CREATE INDEX users_email ON users (email)")
            try db.execute(sql: "INSERT INTO users VALUES (1, 'a@example.cn', ?)", arguments: [sealed])
        }
        let map = try DataMap(section: ConfigSection.parse(yaml: """
            vault: vault.sqlite
            sources:
              main: { path: db.sqlite, tables: { users: { key: id, identities: { email: email }, fields: { note: { category: user.note, correctable: true, erase: encrypt } } } } }
            """, file: "map.yaml"), baseDirectory: directory.path)
        let service = try SQLiteDataService(map: map)
        _ = try await service.correct([SubjectIdentity(kind: "email", value: "a@example.cn")], field: "user.note", value: "new secret", scope: .everything, request: RequestID())
        let stored = try #require(try await DatabaseQueue(path: database).read { db in try String.fetchOne(db, sql: "SELECT note FROM users") })
        #expect(stored != "new secret")
        #expect(try vault.decrypt(stored, subject: "users:1") == "new secret")
    }
}

@Suite("Erasure keeps rows that retained rows still refer to")
struct DataMapReferencedRowTests {
    @Test func aParentOfRetainedRowsIsRestrictedNotDeleted() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("db.sqlite")
        try await DatabaseQueue(path: database).write { db in
            try db.execute(sql: """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, nickname TEXT); CREATE INDEX users_email ON users (email);
                CREATE TABLE invoices (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), total INTEGER, issued TEXT);
                CREATE INDEX invoices_user ON invoices (user_id);
                INSERT INTO users VALUES (1, 'a@example.cn', 'ace'); INSERT INTO invoices VALUES (1, 1, 100, '2026-11-01');
                """)
        }
        let map = try DataMap(section: ConfigSection.parse(yaml: """
            vault: vault.sqlite
            sources:
              main:
                path: db.sqlite
                tables:
                  users: { key: id, identities: { email: email }, fields: { email: { category: user.contact.email, erase: delete-row }, nickname: { category: user.name, erase: delete-row } } }
                  invoices:
                    key: id
                    link: { column: user_id, references: users.id }
                    retention: { basis: Tax law, years: 10, from: issued }
                    fields: { total: { category: user.financial, erase: delete-row } }
            """, file: "map.yaml"), baseDirectory: directory.path)
        let service = try SQLiteDataService(map: map)
        let report = try await service.erase([SubjectIdentity(kind: "email", value: "a@example.cn")], scope: .everything, request: RequestID(), at: Date(timeIntervalSince1970: 1_796_029_200))
        let restricted = Set(report.restricted.map { "\($0.table):\($0.basis)" })
        #expect(restricted == ["invoices:Tax law", "users:referenced by retained records"])
        #expect(report.deletedRows.isEmpty)
        let users = try await DatabaseQueue(path: database).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") }
        #expect(users == 1, "the invoice still refers to the user row")
        #expect(try service.restrictions(source: "main", table: "users", rowKey: "1").first?.basis == "referenced by retained records")
    }

    /// Two processes that ever work one erasure at once (a lease taken over while its first
    /// worker still ran) never handle a row twice: each batch commits only over the cursor its
    /// process last saw, so the second to commit stops, and a later call returns the report.
    @Test func twoWorkersOnOneErasureNeverHandleARowTwice() async throws {
        let first = try SampleData(subjects: 5, heavyRows: 5_000)
        let second = try SampleData(directory: first.directory)
        let request = RequestID(), time = Date()
        async let one = Result(catching: { try await first.service.erase(SampleData.identities(1), scope: .everything, request: request, at: time) })
        async let two = Result(catching: { try await second.service.erase(SampleData.identities(1), scope: .everything, request: request, at: time) })
        let results = await [one, two]
        let reports = results.compactMap { try? $0.get() }
        #expect(!reports.isEmpty, "one worker finished")
        for case .failure(let error) in results {
            guard case DataServiceError.erasureWorkedElsewhere = error else { Issue.record("unexpected \(error)"); continue }
        }
        let (rows, duplicates) = try await first.raw.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT table_name || ':' || row_key) FROM rightskit_restrictions WHERE table_name = 'orders'") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM rightskit_restrictions GROUP BY table_name, row_key, columns, basis HAVING COUNT(*) > 1)") ?? -1
            )
        }
        #expect(rows >= 5_000)
        #expect(duplicates == 0)
        let again = try await second.service.erase(SampleData.identities(1), scope: .everything, request: request, at: time)
        #expect(again == reports.first)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
