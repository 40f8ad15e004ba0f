import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("The data map finds and exports exactly one subject's data, on SQLite and on PostgreSQL")
struct DataMapLocateExportTests {
    @Test(arguments: LedgerDriver.allCases)
    func aSubjectIsFoundThroughEveryLinkKind(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        // Subject 15: a third-party login (15 % 3 == 0) and a support ticket (15 % 5 == 0).
        let footprint = try await sample.service.footprint(of: DataFixture.identities(15), scope: .everything)
        let rows = Dictionary(uniqueKeysWithValues: footprint.tables.map { ($0.table, $0.rows) })
        let expected = [
            "login_devices": try await sample.count("SELECT COUNT(*) FROM login_devices WHERE account_id = 15"),
            "orders": try await sample.count("SELECT COUNT(*) FROM orders WHERE account_id = 15"),
            "transactions": try await sample.count(
                "SELECT COUNT(*) FROM transactions t JOIN orders o ON t.order_id = o.id WHERE o.account_id = 15"),
        ]
        #expect(rows["accounts"] == 1, "direct identity column")
        #expect(rows["login_devices"] == expected["login_devices"] && (rows["login_devices"] ?? 0) > 0, "one foreign-key hop")
        #expect(rows["third_party_logins"] == 1)
        #expect(rows["transactions"] == expected["transactions"], "two foreign-key hops")
        #expect(rows["orders"] == expected["orders"])
        #expect(rows["consents"] == 3)
        #expect(rows["support_tickets"] == 1, "a second table identified directly by email")
        #expect(footprint.categories.contains("user.identity.real_name"))
    }

    @Test(arguments: LedgerDriver.allCases)
    func anyConfiguredIdentityFindsTheSubject(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        for identity in [
            SubjectIdentity(kind: "phone", value: SampleBusinessDatabase.phone(7)),
            SubjectIdentity(kind: "phone", value: "+86 13 000 000 007"),
            SubjectIdentity(kind: "user_id", value: SampleBusinessDatabase.userID(7)),
            SubjectIdentity(kind: "email", value: "USER7@example.cn"),
        ] {
            let footprint = try await sample.service.footprint(of: [identity], scope: .everything)
            #expect(footprint.tables.first { $0.table == "accounts" }?.rows == 1, "\(identity.kind)")
        }
        let unknown = try await sample.service.footprint(
            of: [SubjectIdentity(kind: "email", value: "nobody@example.cn")], scope: .everything)
        #expect(unknown.rows == 0)
        // Several identities of one subject count its rows once.
        let several = try await sample.service.footprint(
            of: [
                SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(7)),
                SubjectIdentity(kind: "phone", value: SampleBusinessDatabase.phone(7)),
            ], scope: .everything)
        #expect(several.tables.first { $0.table == "accounts" }?.rows == 1)
        #expect(several.rows == (try await sample.service.footprint(of: DataFixture.identities(7), scope: .everything)).rows)
    }

    @Test(arguments: LedgerDriver.allCases)
    func theExportHoldsExactlyTheSubjectsRows(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let sink = CollectingSink()
        let summary = try await sample.service.export(DataFixture.identities(10), scope: .everything, into: sink)
        #expect(summary.total == sink.records.count)
        // Every account value belongs to subject 10, and no neighbour appears anywhere.
        let account = sink.records.filter { $0.table == "accounts" }
        #expect(Set(account.map(\.rowKey)) == ["10"])
        let everything = sink.records.flatMap { $0.values.compactMap(\.value) }.joined(separator: "|")
        for neighbour in [9, 11, 1, 100] {
            #expect(!everything.contains(SampleBusinessDatabase.email(neighbour) + "|"))
            #expect(!everything.contains(SampleBusinessDatabase.userID(neighbour)))
        }
        #expect(everything.contains(SampleBusinessDatabase.userID(10)))
        // Orders exported are exactly the subject's orders.
        let orderKeys = Set(sink.records.filter { $0.table == "orders" }.map(\.rowKey))
        let expected = Set(try await sample.rows("SELECT id FROM orders WHERE account_id = 10").compactMap { $0["id"] ?? nil })
        #expect(orderKeys == expected)
        // The encrypted government id is exported decrypted.
        let idNumber = sink.records.first { $0.table == "accounts" && $0.category == "user.identity.government_id" }?.values.first?.value
        #expect(idNumber?.hasPrefix("110101") == true)
    }

    @Test(arguments: LedgerDriver.allCases)
    func theExportIsGroupedByCategoryThenTable(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let sink = CollectingSink()
        _ = try await sample.service.export(DataFixture.identities(10), scope: .everything, into: sink)
        let order = sink.records.map { "\($0.category.name) \($0.table)" }
        var seen: [String] = []
        for group in order where seen.last != group {
            #expect(!seen.contains(group), "group \(group) appears twice: not grouped")
            seen.append(group)
        }
        #expect(seen == seen.sorted())
    }

    @Test(arguments: LedgerDriver.allCases)
    func scopeExcludesHeldCategoriesAndLimitsProducts(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let sink = CollectingSink()
        _ = try await sample.service.export(DataFixture.identities(10), scope: DataScope(excluding: ["user.financial"]), into: sink)
        #expect(!sink.records.contains { $0.category.isWithin("user.financial") })
        let products = CollectingSink()
        _ = try await sample.service.export(DataFixture.identities(10), scope: DataScope(products: ["bos"]), into: products)
        #expect(Set(products.records.map(\.table)).isSubset(of: ["orders", "activated_services"]))
        let productValues = products.records.flatMap { record in record.values.filter { $0.column == "product" }.compactMap(\.value) }
        #expect(productValues.allSatisfy { $0 == "bos" })
    }

    @Test func everyQueryTheServiceIssuesUsesAnIndex() async throws {
        // RIGHTSKIT_PLAN_DATABASE and RIGHTSKIT_PLAN_VAULT point at a large generated database
        // (a million subjects: `rightskit demo seed --subjects 1000000`); by default a small one.
        let environment = ProcessInfo.processInfo.environment
        let sample =
            if let database = environment["RIGHTSKIT_PLAN_DATABASE"], let vault = environment["RIGHTSKIT_PLAN_VAULT"] {
                try await SampleData.copying(database: database, vault: vault)
            } else {
                try await SampleData(subjects: 300)
            }
        let identities = [
            SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(15)),
            SubjectIdentity(kind: "phone", value: SampleBusinessDatabase.phone(15)),
        ]
        _ = try await sample.service.footprint(of: identities, scope: .everything)
        _ = try await sample.service.export(identities, scope: .everything, into: CollectingSink())
        _ = try await sample.service.export(identities, scope: DataScope(products: ["bcc"]), into: CollectingSink())
        _ = try await sample.service.correct(
            identities, field: "user.contact.address", value: "No. 1 Shangdi Road", scope: .everything, request: RequestID())
        _ = try await sample.service.erase(
            identities, scope: .everything, request: RequestID(), at: Date(timeIntervalSince1970: 1_796_029_200))
        let statements = sample.log.statements
        #expect(statements.count > 20)
        let raw = try sample.raw
        for statement in statements {
            let plan = try await raw.read { db in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + statement.sql,
                    arguments: StatementArguments(Array(repeating: 1, count: statement.argumentCount))
                ).map { $0["detail"] as String }
            }
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "full scan in \(statement.sql): \(plan)")
        }
    }
}
