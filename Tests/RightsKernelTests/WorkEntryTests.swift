import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// The checks made at every entry into work, the verification level a module sees, and what
/// happens to work that fails or whose worker disappears.
@Suite("Every entry into work is checked; failing work never blocks the rest")
struct WorkEntryTests {
    let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")

    func hold(_ harness: RightsTestHarness) async throws {
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: harness.store.subjectKey(for: subject), category: nil, ground: .criminalInvestigation,
                authority: "Case 2026-117", expiresAt: nil, createdAt: harness.clock.now
            ))
    }

    @Test(arguments: LedgerDriver.allCases) func aHoldPlacedWhileAwaitingReviewDeniesOnApproval(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(
            on: driver, modules: [ProbeRight.self], rights: "probe: { review: true, trace: trace.log }")
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .awaitingReview)
        try await hold(harness)
        let approved = try await harness.pipeline.approve(request.id, operator: "desk")
        #expect(approved.state == .denied)
        #expect(approved.outcome?.ground == .criminalInvestigation)
        #expect(!FileManager.default.fileExists(atPath: harness.directory.file("trace.log")), "the module never ran")
    }

    @Test(arguments: LedgerDriver.allCases) func aHoldPlacedWhileAwaitingAFeeDeniesWhenTheFeeIsSettled(on driver: LedgerDriver) async throws
    {
        let harness = try await RightsTestHarness(
            on: driver, modules: [ProbeRight.self], rights: "probe: { trace: trace.log }",
            policy: RightsTestHarness.defaultPolicy
                + "\nrepeat: { window_days: 365, free: 0, beyond: fee, fee: { amount: 30, currency: CNY } }"
        )
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .awaitingFee)
        try await hold(harness)
        let settled = try await harness.pipeline.approve(request.id, operator: "cashier")
        #expect(settled.state == .denied)
        #expect(settled.outcome?.ground == .criminalInvestigation)
        #expect(!FileManager.default.fileExists(atPath: harness.directory.file("trace.log")))
    }

    @Test(arguments: LedgerDriver.allCases) func aSettledFeeOnAStrongRightStillNeedsTheReviewAndTheModuleSeesTheLevelReached(
        on driver: LedgerDriver
    ) async throws {
        let harness = try await RightsTestHarness(
            on: driver, modules: [ProbeRight.self], rights: "probe: { verification: strong }",
            policy: RightsTestHarness.defaultPolicy
                + "\nrepeat: { window_days: 365, free: 0, beyond: fee, fee: { amount: 30, currency: CNY } }"
        )
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .awaitingFee)
        #expect(request.verification == .code, "the code alone is the level reached so far")
        let settled = try await harness.pipeline.approve(request.id, operator: "cashier")
        #expect(settled.state == .awaitingReview, "paying does not skip the identity check of a strong right")
        let approved = try await harness.pipeline.approve(request.id, operator: "id-desk")
        #expect(approved.state == .completed)
        #expect(approved.outcome?.references["verification"] == "strong")
    }

    @Test(arguments: LedgerDriver.allCases) func aCodeRightReportsTheCodeLevelToItsModule(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.outcome?.references["verification"] == "code")
    }

    @Test(arguments: LedgerDriver.allCases) func resumeContinuesPastAFailingRequestAndTakesOverAnExpiredClaim(on driver: LedgerDriver)
        async throws
    {
        let clock = SettableClock()
        let harness = try await RightsTestHarness(
            on: driver, modules: [ProbeRight.self], rights: "probe: { steps: 3 }", clock: clock
        )
        let blocker = harness.directory.file("blocker")
        try Data().write(to: URL(fileURLWithPath: blocker))

        // A: its step 2 keeps failing until the blocker goes.
        let failing = try await harness.pipeline.submit(
            RequestIntake(right: "probe", subject: subject, parameters: ["fail_while": blocker]))
        await #expect(throws: PipelineError.self) {
            try await harness.pipeline.verify(failing.id, code: try #require(try await harness.latestCode(for: failing.id)))
        }
        let afterFirst = try #require(try await harness.store.request(failing.id))
        #expect(afterFirst.state == .inProgress)
        #expect(afterFirst.failures == 1)
        #expect(afterFirst.lastFailure?.step == "probe.step2")

        // B: claimed by a worker that then vanished; its lease runs out.
        let orphan = try await harness.pipeline.submit(
            RequestIntake(right: "probe", subject: SubjectIdentity(kind: "email", value: "other@example.cn")))
        var verified = orphan
        try verified.transition(to: .verified, at: clock.now)
        verified.verification = .code
        let vanished = ClaimOwner(rawValue: "elsewhere:1:gone")
        _ = try await harness.store.commit(
            LedgerChange(request: verified, claim: .take(vanished, expires: clock.now.addingTimeInterval(300)), owner: vanished))
        let early = try await harness.pipeline.resumeInterrupted()
        #expect(!early.finished.contains { $0.id == orphan.id }, "a live claim is respected")
        #expect(early.failures.map(\.request) == [failing.id], "a second failure (max_failures is 3)")

        clock.advance(by: 301)
        let report = try await harness.pipeline.resumeInterrupted()
        #expect(report.failures.map(\.request) == [failing.id], "the failing request is reported")
        #expect(report.finished.first { $0.id == orphan.id }?.state == .completed, "and the other one still finished")

        let attention = try #require(try await harness.store.request(failing.id))
        #expect(attention.state == .needsAttention, "after max_failures the request waits for an operator")
        #expect(try await harness.pipeline.resumeInterrupted().failures.isEmpty, "resume leaves it alone")

        try FileManager.default.removeItem(atPath: blocker)
        let retried = try await harness.pipeline.retry(failing.id, operator: "ops")
        #expect(retried.state == .completed)
        #expect(try await harness.store.verify().isIntact)
    }

    /// A step that runs longer than the lease keeps its claim: a heartbeat renews it, so another
    /// process's `resume` leaves the request alone instead of working it a second time.
    @Test func aLongStepKeepsItsClaimPastTheLease() async throws {
        let clock = SettableClock()
        let directory = try TemporaryDirectory()
        let harness = try RightsTestHarness(
            yaml: """
                deployment: { name: test, jurisdiction: CN-PIPL, timezone: Asia/Shanghai }
                policy: { deadline: { days: 15 } }
                services:
                  store: { driver: sqlite, path: ledger.sqlite }
                  processing: { lease_seconds: 5, max_failures: 3 }
                rights:
                  probe: { steps: 2, trace: \(directory.file("trace.log")), verification: none }
                """, modules: [ProbeRight.self], directory: directory, clock: clock)
        let other = RequestPipeline(deployment: harness.pipeline.deployment)
        let long = Task { try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject, parameters: ["sleep": "8"])) }
        try await Task.sleep(for: .seconds(0.5))
        clock.advance(by: 6)  // past the lease of the claim taken at submission
        try await Task.sleep(for: .seconds(5.5))  // the heartbeat renews at 1.7, 3.3 and 5 s; one is enough
        let report = try await other.resumeInterrupted()
        #expect(report.finished.isEmpty, "the claim was renewed, so the other process left the request alone")
        let finished = try await long.value
        #expect(finished.state == .completed)
        let trace = try String(contentsOfFile: directory.file("trace.log"), encoding: .utf8)
        #expect(trace.split(separator: "\n").count == 2, "each step ran once")
    }

    /// The move into work is conditional on no hold covering the subject: a hold placed after
    /// the pipeline read the holds (here, just before the commit) makes the commit fail.
    @Test(arguments: LedgerDriver.allCases) func theMoveIntoWorkFailsWhenAHoldAppearedAfterTheRead(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let submitted = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        var moving = submitted
        try moving.transition(to: .verified, at: harness.clock.now)
        try moving.transition(to: .inProgress, at: harness.clock.now)
        try await hold(harness)  // placed after the (simulated) read of the holds
        var change = LedgerChange(
            request: moving, claim: .take(harness.pipeline.owner, expires: harness.clock.now.addingTimeInterval(300)),
            owner: harness.pipeline.owner)
        change.requiresNoHoldOn = submitted.subjectKey
        await #expect(throws: LedgerConflict(request: submitted.id, current: nil, claimed: false, holdAppeared: true)) {
            try await harness.store.commit(change)
        }
        #expect(try await harness.store.request(submitted.id)?.state == .awaitingVerification, "nothing changed")
    }
}
