import Crypto
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("Erasure and correction leave the expected bytes on disk, on SQLite and on PostgreSQL")
struct DataMapEraseCorrectTests {
    /// 2026-11-30: orders from before 2023-12-01 are past the three-year retention period.
    let now = Date(timeIntervalSince1970: 1_796_029_200)

    @Test(arguments: LedgerDriver.allCases)
    func eachStrategyLeavesTheExpectedBytes(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let before = try await sample.rows("SELECT * FROM accounts WHERE id = 12")
        let original = try #require(before.first)
        let report = try await sample.service.erase(DataFixture.identities(12), scope: .everything, request: RequestID(), at: now)

        let rowsAfter = try await sample.rows("SELECT * FROM accounts WHERE id = 12")
        let after = try #require(rowsAfter.first)
        // hmac: the deployment-keyed HMAC of the old value.
        #expect(after["email"] == sample.vault.hmac(SampleBusinessDatabase.email(12)))
        #expect((after["email"] ?? nil)?.count == 64)
        // null
        #expect(after["phone"] == .some(nil))
        #expect(after["address"] == .some(nil))
        // fixed
        #expect(after["display_name"] == "Deleted user")
        // The real name is keyed too: hashing the known name does not find it.
        let realName = try #require(original["real_name"] ?? nil)
        #expect(after["real_name"] != SHA256.hash(data: Data(realName.utf8)).map { String(format: "%02x", $0) }.joined())
        #expect(after["real_name"] == sample.vault.hmac(realName))
        // encrypt: the ciphertext stays, the key is gone, so it can no longer be read.
        #expect(after["id_number"] == original["id_number"])
        #expect(try await !sample.vault.hasKey(subject: "accounts:12"))
        let sealed = try #require(after["id_number"] ?? nil)
        #expect(try await sample.vault.decrypt(sealed, subject: "accounts:12") == nil)
        // Neighbours are untouched, and their keys survive.
        #expect(try await sample.value("SELECT email FROM accounts WHERE id = 13") == SampleBusinessDatabase.email(13))
        #expect(try await sample.vault.hasKey(subject: "accounts:13"))
        // delete-row
        #expect(try await sample.count("SELECT COUNT(*) FROM login_devices WHERE account_id = 12") == 0)
        #expect(try await sample.count("SELECT COUNT(*) FROM login_devices WHERE account_id = 13") > 0)
        #expect(report.deletedRows["business.login_devices"] ?? 0 > 0)
        #expect(report.erased.contains { $0.table == "accounts" && $0.column == "id_number" && $0.strategy == "encrypt" })
    }

    @Test(arguments: LedgerDriver.allCases)
    func retentionTurnsErasureIntoRestrictionWithItsEndDate(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver, subjects: 60)
        // A subject with both old orders (past retention) and recent ones (still held).
        let found = try await sample.value(
            """
            SELECT account_id FROM orders GROUP BY account_id
            HAVING SUM(CASE WHEN created_at < '2023-11-30' THEN 1 ELSE 0 END) > 0 AND SUM(CASE WHEN created_at >= '2023-12-01' THEN 1 ELSE 0 END) > 0
            ORDER BY account_id LIMIT 1
            """)
        let subject = try #require(Int(found ?? ""))
        let recent = try await sample.rows("SELECT id, created_at FROM orders WHERE account_id = \(subject) AND created_at >= '2023-12-01'")
        let request = RequestID()
        let report = try await sample.service.erase(DataFixture.identities(subject), scope: .everything, request: request, at: now)

        let remaining = try await sample.rows("SELECT id FROM orders WHERE account_id = \(subject) ORDER BY id").map { $0["id"] ?? nil }
        #expect(Set(remaining) == Set(recent.map { $0["id"] ?? nil }), "old orders are deleted, held ones stay")
        for order in recent {
            let id = try #require(order["id"] ?? nil)
            let created = try #require(order["created_at"] ?? nil)
            let records = try await sample.restrictions(table: "orders", rowKey: id)
            let record = try #require(records.first)
            #expect(record["basis"] == "E-Commerce Law Art. 31")
            let start = try #require(Timestamp.date(created))
            // Three calendar years (the sample map has no deployment, so UTC), not 3 × 365 days.
            let lifts = try #require(record["lifts_at"] ?? nil)
            let liftsAt = try #require(Double(lifts))
            #expect(Date(timeIntervalSince1970: liftsAt) == CalendarPeriod.years(3).added(to: start, in: TimeZone(identifier: "UTC")!))
            #expect(record["request_id"] == request.rawValue)
            #expect(record["columns"] == "order_no,product,amount_cents")
        }
        let restricted = try #require(report.restricted.first { $0.table == "orders" })
        #expect(restricted.rows == recent.count)
        #expect(restricted.until != nil)
    }

    @Test(arguments: LedgerDriver.allCases)
    func aTechnicallyInfeasibleFieldIsRestrictedIndefinitely(on driver: LedgerDriver) async throws {
        let fixture = try await DataFixture.make(
            on: driver,
            schema: """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); CREATE INDEX users_email ON users (email);
                CREATE TABLE backups (id INTEGER PRIMARY KEY, user_id INTEGER, blob TEXT); CREATE INDEX backups_user ON backups (user_id);
                INSERT INTO users VALUES (1, 'a@example.cn'); INSERT INTO backups VALUES (1, 1, 'tape-17');
                """,
            map: """
                vault: vault.sqlite
                sources:
                  main:
                    path: db.sqlite
                    tables:
                      users: { key: id, identities: { email: email }, fields: { email: { category: user.contact.email, erase: null } } }
                      backups: { key: id, link: { column: user_id, references: users.id }, fields: { blob: { category: user.backup, erase: restrict } } }
                """)
        let report = try await fixture.service.erase(
            [SubjectIdentity(kind: "email", value: "a@example.cn")], scope: .everything, request: RequestID(), at: now)
        #expect(report.restricted.map(\.basis) == ["technically infeasible to delete"])
        #expect(report.restricted.first?.until == nil)
        let records = try await fixture.restrictions(table: "backups", rowKey: "1")
        let record = try #require(records.first)
        #expect(record["lifts_at"] == .some(nil))
        #expect(try await fixture.value("SELECT blob FROM backups") == "tape-17")
    }

    @Test(arguments: LedgerDriver.allCases)
    func aRetriedErasureDoesNoDoubleWork(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let request = RequestID()
        let first = try await sample.service.erase(DataFixture.identities(20), scope: .everything, request: request, at: now)
        let snapshot = try await sample.rows("SELECT * FROM accounts WHERE id = 20")
        let second = try await sample.service.erase(DataFixture.identities(20), scope: .everything, request: request, at: now)
        #expect(second == first)
        #expect(try await sample.rows("SELECT * FROM accounts WHERE id = 20") == snapshot, "hashing twice would change the bytes")
        let restrictions = try await sample.count("SELECT COUNT(*) FROM rightskit_restrictions WHERE request_id = '\(request.rawValue)'")
        #expect(restrictions == first.restricted.reduce(0) { $0 + $1.rows } || first.restricted.isEmpty)
    }

    @Test(arguments: LedgerDriver.allCases)
    func correctionUpdatesCorrectableFieldsAndProvesItByFingerprint(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let result = try await sample.service.correct(
            DataFixture.identities(8), field: "user.contact.phone", value: "+8613912345678", scope: .everything, request: RequestID())
        guard case .corrected(let changes) = result else {
            Issue.record("not corrected: \(result)")
            return
        }
        #expect(changes.map { "\($0.table).\($0.column)" } == ["accounts.phone"])
        #expect(changes.first?.oldFingerprints == [sample.service.fingerprint(SampleBusinessDatabase.phone(8))])
        #expect(changes.first?.newFingerprint == sample.service.fingerprint("+8613912345678"))
        #expect(changes.first?.supplemented == false)
        #expect(try await sample.value("SELECT phone FROM accounts WHERE id = 8") == "+8613912345678")
        #expect(try await sample.value("SELECT phone FROM accounts WHERE id = 9") == SampleBusinessDatabase.phone(9))
    }

    @Test(arguments: LedgerDriver.allCases)
    func supplementingAnEmptyFieldIsRecordedAsSuch(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        try await sample.execute("UPDATE accounts SET address = NULL WHERE id = 8")
        let result = try await sample.service.correct(
            DataFixture.identities(8), field: "accounts.address", value: "No. 10 Xibeiwang East Road", scope: .everything,
            request: RequestID())
        guard case .corrected(let changes) = result else {
            Issue.record("not corrected")
            return
        }
        #expect(changes.first?.supplemented == true)
        #expect(changes.first?.oldFingerprints == [])
    }

    @Test(arguments: LedgerDriver.allCases)
    func aNonCorrectableFieldIsRefusedWithWhereToGo(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let result = try await sample.service.correct(
            DataFixture.identities(8), field: "user.identity.real_name", value: "Wang Fang", scope: .everything, request: RequestID())
        #expect(result == .refused(field: "accounts.real_name", correctAt: "the website where the original account was registered"))
        #expect(try await sample.value("SELECT real_name FROM accounts WHERE id = 8") != "Wang Fang")
        #expect(
            try await sample.service.correct(
                DataFixture.identities(8), field: "user.favourite_colour", value: "blue", scope: .everything, request: RequestID())
                == .unknownField("user.favourite_colour"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func anEncryptedCorrectableFieldStaysEncrypted(on driver: LedgerDriver) async throws {
        let fixture = try await DataFixture.make(
            on: driver,
            map: """
                vault: vault.sqlite
                sources:
                  main: { path: db.sqlite, tables: { users: { key: id, identities: { email: email }, fields: { note: { category: user.note, correctable: true, erase: encrypt } } } } }
                """
        ) { vault in
            let sealed = try await vault.encrypt("old secret", subject: "users:1")
            return """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, note TEXT); CREATE INDEX users_email ON users (email);
                INSERT INTO users VALUES (1, 'a@example.cn', '\(sealed)');
                """
        }
        _ = try await fixture.service.correct(
            [SubjectIdentity(kind: "email", value: "a@example.cn")], field: "user.note", value: "new secret", scope: .everything,
            request: RequestID())
        let note = try await fixture.value("SELECT note FROM users")
        let stored = try #require(note)
        #expect(stored != "new secret")
        #expect(try await fixture.vault.decrypt(stored, subject: "users:1") == "new secret")
    }
}

@Suite("Erasure keeps rows that retained rows still refer to")
struct DataMapReferencedRowTests {
    @Test(arguments: LedgerDriver.allCases)
    func aParentOfRetainedRowsIsRestrictedNotDeleted(on driver: LedgerDriver) async throws {
        let fixture = try await DataFixture.make(
            on: driver,
            schema: """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, nickname TEXT); CREATE INDEX users_email ON users (email);
                CREATE TABLE invoices (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), total INTEGER, issued TEXT);
                CREATE INDEX invoices_user ON invoices (user_id);
                INSERT INTO users VALUES (1, 'a@example.cn', 'ace'); INSERT INTO invoices VALUES (1, 1, 100, '2026-11-01');
                """,
            map: """
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
                """)
        let report = try await fixture.service.erase(
            [SubjectIdentity(kind: "email", value: "a@example.cn")], scope: .everything, request: RequestID(),
            at: Date(timeIntervalSince1970: 1_796_029_200))
        let restricted = Set(report.restricted.map { "\($0.table):\($0.basis)" })
        #expect(restricted == ["invoices:Tax law", "users:referenced by retained records"])
        #expect(report.deletedRows.isEmpty)
        #expect(try await fixture.count("SELECT COUNT(*) FROM users") == 1, "the invoice still refers to the user row")
        #expect(try await fixture.restrictions(table: "users", rowKey: "1").first?["basis"] == "referenced by retained records")
    }

    /// Two processes that ever work one erasure at once (a lease taken over while its first
    /// worker still ran) never handle a row twice: each batch commits only over the cursor its
    /// process last saw, so the second to commit stops, and a later call returns the report.
    @Test(arguments: LedgerDriver.allCases)
    func twoWorkersOnOneErasureNeverHandleARowTwice(on driver: LedgerDriver) async throws {
        let first = try await DataFixture.sample(on: driver, subjects: 5, heavyRows: 5_000)
        let second = try await first.reopened()
        let request = RequestID()
        let time = Date()
        async let one = Result(catching: {
            try await first.service.erase(DataFixture.identities(1), scope: .everything, request: request, at: time)
        })
        async let two = Result(catching: {
            try await second.service.erase(DataFixture.identities(1), scope: .everything, request: request, at: time)
        })
        let results = await [one, two]
        let reports = results.compactMap { try? $0.get() }
        #expect(!reports.isEmpty, "one worker finished")
        for case .failure(let error) in results {
            guard case DataServiceError.erasureWorkedElsewhere = error else {
                Issue.record("unexpected \(error)")
                continue
            }
        }
        let rows = try await first.count(
            "SELECT COUNT(DISTINCT table_name || ':' || row_key) FROM rightskit_restrictions WHERE table_name = 'orders'")
        let duplicates = try await first.count(
            "SELECT COUNT(*) FROM (SELECT 1 FROM rightskit_restrictions GROUP BY table_name, row_key, columns, basis HAVING COUNT(*) > 1) d"
        )
        #expect(rows >= 5_000)
        #expect(duplicates == 0)
        let again = try await second.service.erase(DataFixture.identities(1), scope: .everything, request: request, at: time)
        #expect(again == reports.first)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
