import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// The connector's other operations, on SQLite and on PostgreSQL: the consent registry, product
/// scope and discontinuation, account cancellation, lifted restrictions and contacts.
@Suite("Consents, products, cancellation and lifted restrictions, on SQLite and on PostgreSQL")
struct DataMapRegistryProductTests {
    /// 2026-11-30: orders from before 2023-12-01 are past the three-year retention period.
    let now = Date(timeIntervalSince1970: 1_796_029_200)

    @Test(arguments: LedgerDriver.allCases)
    func aWithdrawalFillsTheRegistryOnceAndAnswersARetryTheSame(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        try await sample.execute("UPDATE consents SET withdrawn_at = NULL WHERE account_id = 6")
        try await sample.execute("UPDATE consents SET withdrawn_at = '2026-01-01' WHERE account_id = 6 AND purpose = 'analytics'")
        let request = RequestID()
        let first = try await sample.service.withdrawConsent(
            DataFixture.identities(6), purposes: ["marketing", "analytics"], request: request, at: now)
        #expect(first == ConsentWithdrawal(withdrawn: ["marketing"], alreadyWithdrawn: ["analytics"]))
        #expect(
            try await sample.value("SELECT withdrawn_at FROM consents WHERE account_id = 6 AND purpose = 'marketing'")
                == Timestamp.string(now))
        #expect(try await sample.value("SELECT withdrawn_at FROM consents WHERE account_id = 6 AND purpose = 'personalisation'") == nil)
        #expect(
            try await sample.count("SELECT COUNT(*) FROM consents WHERE account_id = 7 AND withdrawn_at = '\(Timestamp.string(now))'") == 0)
        // Retried, the journal answers what the first run found.
        #expect(
            try await sample.service.withdrawConsent(
                DataFixture.identities(6), purposes: ["marketing", "analytics"], request: request, at: now) == first)
    }

    /// A limit on processing lands on every row of the subject, once however often the request
    /// is retried, where the host reads it with plain SQL; no other subject's row is limited.
    @Test(arguments: LedgerDriver.allCases)
    func aProcessingLimitIsRecordedOnEveryRowOfTheSubjectOnce(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let request = RequestID()
        let limit = ProcessingLimit(purposes: ["sale", "sharing"], basis: "CCPA §1798.120 opt-out")
        let first = try await sample.service.limitProcessing(DataFixture.identities(5), limit, request: request, at: now)
        let orders = try await sample.count("SELECT COUNT(*) FROM orders WHERE account_id = 5")
        #expect(orders > 0)
        #expect(first.rows["business.orders"] == orders)
        #expect(first.rows["business.accounts"] == 1)
        #expect(try await sample.service.limitProcessing(DataFixture.identities(5), limit, request: request, at: now) == first)
        let recorded = try await sample.count("SELECT COUNT(*) FROM rightskit_processing_limits")
        #expect(recorded == first.rows.values.reduce(0, +), "a retry records nothing again")
        let host = try await sample.rows(
            "SELECT purposes, basis FROM rightskit_processing_limits WHERE table_name = 'accounts' AND row_key = '5'")
        #expect(host.count == 1 && host.first?["purposes"] == "sale,sharing" && host.first?["basis"] == "CCPA §1798.120 opt-out")
        #expect(try await sample.service.processingLimits(source: "business", table: "accounts", rowKey: "5") == [limit])
        #expect(try await sample.service.processingLimits(source: "business", table: "accounts", rowKey: "6").isEmpty)
    }

    @Test(arguments: LedgerDriver.allCases)
    func aProductsSubjectsAreFoundAndItsEndIsRecorded(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let subjects = try await sample.service.subjects(withProduct: "bos")
        let expected = try await sample.count(
            """
            SELECT COUNT(*) FROM accounts WHERE id IN (SELECT account_id FROM orders WHERE product = 'bos' UNION SELECT account_id FROM activated_services WHERE product = 'bos')
            """)
        #expect(subjects.count == expected)
        #expect(
            subjects.allSatisfy { identities in identities.contains { $0.kind == "email" } && identities.contains { $0.kind == "user_id" } }
        )
        let request = RequestID()
        try await sample.service.recordDiscontinuation(product: "bos", collectionStopsAt: now, request: request)
        try await sample.service.recordDiscontinuation(product: "bos", collectionStopsAt: now.addingTimeInterval(86_400), request: request)
        let recorded = try await sample.rows("SELECT product, collection_stops_at, request_id FROM rightskit_discontinued_products")
        #expect(recorded.count == 1)
        #expect(recorded.first?["product"] == "bos")
        #expect(recorded.first?["request_id"] == request.rawValue)
        #expect(Double(recorded.first?["collection_stops_at"].flatMap { $0 } ?? "") == now.addingTimeInterval(86_400).timeIntervalSince1970)
    }

    @Test(arguments: LedgerDriver.allCases)
    func aCancelledAccountIsMarkedForTheHost(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        _ = try await sample.service.cancelAccount(DataFixture.identities(11), scope: .everything, request: RequestID(), at: now)
        #expect(try await sample.value("SELECT status FROM accounts WHERE id = 11") == "cancelled")
        #expect(try await sample.value("SELECT status FROM accounts WHERE id = 12") == "active")
    }

    @Test(arguments: LedgerDriver.allCases)
    func restrictionsThatLiftAreErasedByTheSweep(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver, subjects: 60)
        let found = try await sample.value(
            """
            SELECT account_id FROM orders GROUP BY account_id HAVING SUM(CASE WHEN created_at >= '2023-12-01' THEN 1 ELSE 0 END) > 0 ORDER BY account_id LIMIT 1
            """)
        let subject = try #require(Int(found ?? ""))
        let report = try await sample.service.erase(DataFixture.identities(subject), scope: .everything, request: RequestID(), at: now)
        let held = try await sample.count("SELECT COUNT(*) FROM orders WHERE account_id = \(subject)")
        #expect(held > 0 && !report.restricted.isEmpty)
        // Nothing has lifted yet: the sweep changes nothing.
        #expect(try await sample.service.eraseLiftedRestrictions(at: now).values.reduce(0, +) == 0)
        #expect(try await sample.count("SELECT COUNT(*) FROM orders WHERE account_id = \(subject)") == held)
        // Four years on, every retention period has run: the orders and their payments go.
        let later = CalendarPeriod.years(4).added(to: now, in: TimeZone(identifier: "UTC") ?? .current)
        let erased = try await sample.service.eraseLiftedRestrictions(at: later)
        #expect(erased["orders"] == held)
        #expect(try await sample.count("SELECT COUNT(*) FROM orders WHERE account_id = \(subject)") == 0)
        #expect(try await sample.count("SELECT COUNT(*) FROM rightskit_restrictions WHERE table_name = 'orders'") == 0)
        // The account row, kept while its orders referred to it, goes on the next sweep.
        _ = try await sample.service.eraseLiftedRestrictions(at: later)
        #expect(try await sample.count("SELECT COUNT(*) FROM rightskit_restrictions") == 0)
    }

    @Test(arguments: LedgerDriver.allCases)
    func contactsOnFileAreWhereACodeGoes(on driver: LedgerDriver) async throws {
        let sample = try await DataFixture.sample(on: driver)
        let contacts = try await sample.service.contacts(of: [SubjectIdentity(kind: "user_id", value: SampleBusinessDatabase.userID(4))])
        #expect(
            Set(contacts) == [
                SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(4)),
                SubjectIdentity(kind: "phone", value: SampleBusinessDatabase.phone(4)),
            ])
    }
}
