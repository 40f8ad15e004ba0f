import DiscontinuationNoticeRight
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.7 Notice before a product or service is discontinued")
struct DiscontinuationNoticeRightTests {
    /// The harness deployment's timezone: the end date is a local date there.
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    /// The harness clock starts on 2026-11-30; the product ends twenty days later.
    static let ends = "2026-12-20"

    func harness(on driver: LedgerDriver, _ rights: String = "discontinuation-notice: {}") async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 40, modules: [DiscontinuationNoticeRight.self], rights: rights)
    }

    func announce(_ harness: RightsTestHarness, product: String = "bos", ends: String = Self.ends) async throws -> RightRequest {
        try await harness.pipeline.submit(
            RequestIntake(
                right: "discontinuation-notice", subject: SubjectIdentity(kind: "product", value: product), requester: .operator,
                requesterReference: "product-board-2026-11", parameters: ["ends": ends]))
    }

    func subjectsWith(_ product: String, _ harness: RightsTestHarness) throws -> Set<String> {
        try DatabaseQueue(path: harness.directory.file("business.sqlite")).read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT a.email FROM accounts a WHERE a.id IN (SELECT account_id FROM orders WHERE product = ? UNION SELECT account_id FROM activated_services WHERE product = ?)
                        """, arguments: [product, product]))
        }
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let intake = RequestIntake(
            right: "discontinuation-notice", subject: SubjectIdentity(kind: "product", value: "bos"), requester: .operator,
            requesterReference: "board", parameters: ["ends": Self.ends])
        let failures = try await RightModuleConformance(
            module: DiscontinuationNoticeRight.self, rights: "discontinuation-notice: {}", subject: nil, intake: intake, on: driver
        ).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// An erased subject's columns hold HMACs: no notice is addressed to one.
    @Test func noNoticeGoesToAnErasedSubjectsHash() async throws {
        let harness = try await harness(on: .sqlite)
        let erased = try #require(try subjectsWith("bos", harness).sorted().first)
        let hash = String(repeating: "ab12", count: 16)
        try await DatabaseQueue(path: harness.directory.file("business.sqlite")).write { db in
            try db.execute(sql: "UPDATE accounts SET email = ?, phone = ? WHERE email = ?", arguments: [hash, hash, erased])
        }
        let request = try await announce(harness)
        let notices = try await harness.outbox(for: request.id).filter { $0.kind == "discontinuation" }
        #expect(!notices.isEmpty)
        #expect(!notices.contains { $0.recipient.value == hash }, "nothing addressed to an HMAC")
        #expect(Set(notices.map(\.recipient.value)) == (try subjectsWith("bos", harness)).subtracting([hash]))
    }

    /// "we will notify you 15 days in advance"
    @Test(arguments: LedgerDriver.allCases) func everyAffectedSubjectIsNotifiedAndNoOneElse(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await announce(harness)
        #expect(request.state == .inProgress)
        #expect(request.resumeAt == Timestamp.date(Self.ends, localTo: Self.shanghai))
        // Due when the erasure is (the end of the end date), so never overdue while it waits.
        #expect(Timestamp.day(request.dueAt, in: Self.shanghai) == Self.ends)
        #expect(request.dueAt > (request.resumeAt ?? .distantFuture))
        let notices = try await harness.outbox(for: request.id).filter { $0.kind == "discontinuation" }
        #expect(request.outcome?.references["notified"] == "\(notices.count)", "the filing reports how many were told")
        let expected = try subjectsWith("bos", harness)
        #expect(Set(notices.map(\.recipient.value)) == expected)
        #expect(notices.count == expected.count, "one notice per subject")
        #expect(notices.first?.body.contains("stop collecting") == true)
        // What was sent to whom is on record, by salted key.
        let sent = try await harness.store.entries(for: request.id).filter { $0.event.action == "notice.sent" }
        #expect(sent.count == expected.count)
        #expect(
            Set(sent.compactMap { $0.event.details["to"] })
                == Set(expected.map { harness.store.subjectKey(for: SubjectIdentity(kind: "email", value: $0)).rawValue }))
    }

    /// Nobody chose a language for an operator's announcement, so it is written in every
    /// language the deployment serves (by default English, then Chinese), each date as that
    /// language writes the deployment's local day.
    @Test func theNoticeIsWrittenInEveryLanguageTheDeploymentServes() async throws {
        let harness = try await harness(on: .sqlite)
        let request = try await announce(harness)
        let notice = try #require(try await harness.outbox(for: request.id).first { $0.kind == "discontinuation" })
        #expect(notice.title == "bos will be discontinued on 2026-12-20 / bos将于2026年12月20日停止运营")
        let parts = notice.body.components(separatedBy: "\n\n")
        #expect(parts.count == 2)
        #expect(parts.first?.hasPrefix("bos will stop operating on 2026-12-20.") == true)
        #expect(parts.last?.hasPrefix("bos将于2026年12月20日停止运营。") == true)
    }

    @Test(arguments: LedgerDriver.allCases) func lessThanTheNoticePeriodIsRefused(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        await #expect(throws: PipelineError.self) { try await announce(harness, ends: "2026-12-10") }
        let custom = try await self.harness(on: driver, "discontinuation-notice: { notice_days: 30 }")
        await #expect(throws: PipelineError.self) { try await announce(custom) }
    }

    /// "… and will stop collecting your personal information"
    @Test(arguments: LedgerDriver.allCases) func collectionStopIsRecordedForTheHostApplication(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await announce(harness)
        let row = try DatabaseQueue(path: harness.directory.file("business.sqlite")).read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM rightskit_discontinued_products WHERE product = 'bos'")
        }
        #expect(row?["collection_stops_at"] as Double? == Timestamp.date(Self.ends, localTo: Self.shanghai)?.timeIntervalSince1970)
        #expect(row?["request_id"] as String? == request.id.rawValue)
    }

    /// "At the same time, we will delete or anonymize your personal information in accordance with the law."
    @Test(arguments: LedgerDriver.allCases) func afterTheEndDateTheProductsDataIsErased(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await announce(harness)
        let database = try DatabaseQueue(path: harness.directory.file("business.sqlite"))
        let before = try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activated_services WHERE product = 'bos'")
        }
        #expect(before ?? 0 > 0)
        // Too early: resuming does nothing yet.
        harness.clock.advance(days: 5)
        #expect(try await harness.pipeline.resumeInterrupted().finished.isEmpty)
        harness.clock.set(try #require(Timestamp.date(Self.ends, localTo: Self.shanghai)).addingTimeInterval(3_600))
        let finished = try await harness.pipeline.resumeInterrupted().finished
        #expect(finished.map(\.id) == [request.id])
        #expect([.completed, .partiallyCompleted].contains(finished.first?.state))
        let (services, others) = try await database.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activated_services WHERE product = 'bos'") ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activated_services WHERE product != 'bos'") ?? -1
            )
        }
        #expect(services == 0)
        #expect(others > 0, "other products' data stays")
        // Orders of the product within their retention period are restricted, not deleted.
        let retained = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE product = 'bos'") } ?? 0
        let restricted =
            try await database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rightskit_restrictions WHERE table_name = 'orders'")
            } ?? 0
        #expect(retained == restricted)
        // No notice went out twice across the runs.
        let notices = try await harness.outbox(for: request.id).filter { $0.kind == "discontinuation" }
        #expect(notices.count == Set(notices.map(\.recipient.value)).count)
        #expect(!notices.isEmpty)
    }

    @Test(arguments: LedgerDriver.allCases) func onlyAnOperatorCanAnnounce(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        await #expect(throws: PipelineError.self) {
            try await harness.pipeline.submit(
                RequestIntake(
                    right: "discontinuation-notice", subject: SubjectIdentity(kind: "product", value: "bos"),
                    parameters: ["ends": Self.ends]))
        }
    }
}

@Suite("5.7 Notices reach subjects who joined after the announcement, and nobody twice")
struct DiscontinuationLateSubjectTests {
    @Test(arguments: LedgerDriver.allCases) func aSubjectWhoJoinsBeforeTheEndIsToldOnceAndEarlierOnesAreNotToldAgain(
        on driver: LedgerDriver
    ) async throws {
        let harness = try await RightsTestHarness.sample(
            on: driver,
            subjects: 40, modules: [DiscontinuationNoticeRight.self], rights: "discontinuation-notice: {}")
        let database = try DatabaseQueue(path: harness.directory.file("business.sqlite"))
        let newcomer = try #require(
            try await database.read { db in
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT id FROM accounts WHERE id NOT IN (SELECT account_id FROM orders WHERE product = 'bos')
                        AND id NOT IN (SELECT account_id FROM activated_services WHERE product = 'bos') LIMIT 1
                        """)
            })
        let request = try await harness.pipeline.submit(
            RequestIntake(
                right: "discontinuation-notice", subject: SubjectIdentity(kind: "product", value: "bos"), requester: .operator,
                requesterReference: "board", parameters: ["ends": DiscontinuationNoticeRightTests.ends]))
        let announced = try await harness.outbox(for: request.id).filter { $0.kind == "discontinuation" }.map(\.recipient.value)
        #expect(!announced.contains(SampleBusinessDatabase.email(newcomer)))

        // The newcomer activates the product after the announcement, before the end date.
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO activated_services (account_id, product, activated_at, status) VALUES (?, 'bos', '2026-12-01', 'active')",
                arguments: [newcomer])
        }
        harness.clock.set(try #require(Timestamp.date(DiscontinuationNoticeRightTests.ends)).addingTimeInterval(60))
        _ = try await harness.pipeline.resumeInterrupted()
        let all = try await harness.outbox(for: request.id).filter { $0.kind == "discontinuation" }.map(\.recipient.value)
        #expect(all.count == Set(all).count, "nobody is told twice")
        #expect(all.filter { $0 == SampleBusinessDatabase.email(newcomer) }.count == 1, "the newcomer is told when the request resumes")
        #expect(Set(announced).isSubset(of: Set(all)))
    }
}
