import Foundation
import GRDB
import RightsKernel
import RightsStorage
import RightsTesting
import Testing

/// The figures of the console's report over a ledger whose requests are known, on both
/// databases, checked against what was done and against plain SQL on the same ledger.
@Suite("The report: requests by right and month, outcomes, time to answer, overdue and extended")
struct RequestReportTests {
    let day: TimeInterval = 86_400

    /// Plain SQL on the harness's ledger, whichever database holds it: each row's first column.
    func plain(_ sql: String, _ harness: RightsTestHarness) async throws -> [String] {
        switch harness.driver {
        case .sqlite:
            return try await DatabaseQueue(path: harness.directory.file("ledger.sqlite")).read { db in
                try String.fetchAll(db, sql: sql)
            }
        case .postgres:
            let config = try String(contentsOfFile: harness.directory.file("config.yaml"), encoding: .utf8)
            let url = try #require(config.firstMatch(of: /url: "([^"]+)"/)?.1)
            return try TestPostgres.shared.get().query(sql, on: String(url))
        }
    }

    @Test(arguments: LedgerDriver.allCases)
    func theFiguresAreWhatWasDoneAndWhatPlainSQLCounts(on driver: LedgerDriver) async throws {
        // Each request is confirmed by code, then waits for an operator, who answers it later.
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: { verification: strong }")
        let operatorName = "li.ops"
        func filed(_ n: Int) async throws -> RequestID {
            let request = try await harness.run(
                RequestIntake(right: "probe", subject: SubjectIdentity(kind: "email", value: "p\(n)@example.cn")))
            #expect(request.state == .awaitingReview)
            return request.id
        }
        // 2026-11-30 17:00 in Shanghai: one request in November, answered a day later.
        let first = try await filed(1)
        harness.clock.advance(by: day)
        _ = try await harness.pipeline.approve(first, operator: operatorName)
        // December: answered after 3 days, after 20 (past the 15-day deadline), denied at once,
        // one extended and one left open until it is overdue.
        let second = try await filed(2)
        harness.clock.advance(by: 3 * day)
        _ = try await harness.pipeline.approve(second, operator: operatorName)
        let late = try await filed(3)
        harness.clock.advance(by: 20 * day)
        _ = try await harness.pipeline.approve(late, operator: operatorName)
        let refused = try await filed(4)
        _ = try await harness.pipeline.deny(refused, ground: .manifestlyUnfounded, operator: operatorName)
        let extended = try await filed(5)
        _ = try await harness.pipeline.extend(extended, reason: "a complex request", operator: operatorName)
        _ = try await filed(6)
        harness.clock.advance(by: 20 * day)

        let zone = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let from = try #require(Timestamp.date("2026-11-01", localTo: zone))
        let to = try #require(Timestamp.date("2027-01-01", localTo: zone))
        let months = RequestReport.months(from: from, to: to, in: zone)
        #expect(months.map(\.label) == ["2026-11", "2026-12"])
        let store = try #require(harness.store as? LedgerStore)
        let report = try await store.report(months: months, at: harness.clock.now)

        #expect(report.received == 6)
        #expect(
            report.byRightAndMonth == [
                .init(month: "2026-11", right: "probe", count: 1), .init(month: "2026-12", right: "probe", count: 5),
            ])
        #expect(report.byState == ["completed": 3, "denied": 1, "awaitingReview": 2])
        #expect(report.answered == 4 && report.answeredInTime == 3)
        #expect(report.medianToAnswer == day, "answers took 0, 1, 3 and 20 days: the median by nearest rank is 1 day")
        #expect(report.ninetiethToAnswer == 20 * day)
        #expect(report.extended == 1)
        #expect(report.overdueNow == 1)

        // The same figures counted by hand on the database.
        let states = try await plain("SELECT state || ':' || COUNT(*) FROM requests GROUP BY state ORDER BY state", harness)
        #expect(states == report.byState.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" })
        let inTime = try await plain(
            "SELECT COUNT(*) FROM requests WHERE final_at <= due_at AND state IN ('completed', 'partiallyCompleted', 'denied')", harness)
        #expect(inTime == ["\(report.answeredInTime)"])
        let overdue = try await plain(
            "SELECT COUNT(*) FROM requests WHERE due_at < \(harness.clock.now.timeIntervalSince1970) AND state NOT IN ('completed', 'partiallyCompleted', 'denied', 'cancelled')",
            harness)
        #expect(overdue == ["\(report.overdueNow)"])
    }

    @Test func monthsFollowTheDeploymentsCalendarAndAreCutAtThePeriodsEnds() throws {
        let zone = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let from = try #require(Timestamp.date("2026-01-15", localTo: zone))
        let to = try #require(Timestamp.date("2026-03-10", localTo: zone))
        let months = RequestReport.months(from: from, to: to, in: zone)
        #expect(months.map(\.label) == ["2026-01", "2026-02", "2026-03"])
        #expect(months.first?.start == from && months.last?.end == to)
        #expect(months[1].start == Timestamp.date("2026-02-01", localTo: zone), "a month starts at local midnight, not UTC's")
        #expect(months[1].end.timeIntervalSince(months[1].start) == 28 * 86_400)
    }
}
