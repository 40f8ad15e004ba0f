import AccessRight
import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// What an access request costs the ledger, counted statement by statement on each database,
/// so the count cannot creep back: filing, the code's check and the work to completion.
@Suite("An access request's cost in ledger statements, on SQLite and on PostgreSQL")
struct AccessRequestStatementTests {
    /// The most statements an access request may take on the ledger, from filing to completed:
    /// 12 on either database. On PostgreSQL each is a round trip, a transaction's locks go as
    /// one statement and its writes as another (8 today). On SQLite each is a call on the
    /// connection's own thread and every table written is a statement of its own (12 today:
    /// filing writes the request with its code, the quotas, the code's message and the audit
    /// entries; the answer is one read of the request, its code and holds, and one update; the
    /// move into work and the completion each write the request, a quota or a message, and the
    /// audit entries).
    static func budget(on driver: LedgerDriver) -> Int { 12 }

    @Test(arguments: LedgerDriver.allCases)
    func anAccessRequestStaysWithinItsStatementBudget(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness.sample(
            on: driver, subjects: 20, modules: [AccessRight.self], rights: "access: { output: exports }")
        let subject = SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(7))

        let log = StatementLog()
        let filed = try await log.recording { try await harness.pipeline.submit(RequestIntake(right: "access", subject: subject)) }
        // The subject reads the code from their mail: not the request's own work.
        let code = try #require(try await harness.latestCode(for: filed.id))
        let answered = try await log.recording { try await harness.pipeline.verify(filed.id, code: code) }

        #expect(answered.state == .completed)
        let statements = log.statements.filter { $0.source == StatementLog.ledger }
        let listing = statements.enumerated().map { "\($0.offset + 1). \($0.element.sql)" }.joined(separator: "\n")
        #expect(
            statements.count <= Self.budget(on: driver),
            "\(statements.count) statements in \(log.transactions) transactions on \(driver):\n\(listing)")
        Issue.record(
            Comment(rawValue: "\(driver): \(statements.count) ledger statements in \(log.transactions) transactions:\n\(listing)"),
            severity: .warning)
    }
}
