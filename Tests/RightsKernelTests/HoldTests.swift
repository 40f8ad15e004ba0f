import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("Clause 5.11: holds deny or narrow a request and always cite their ground")
struct HoldTests {
    let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")

    @Test(arguments: LedgerDriver.allCases) func aSubjectHoldDeniesWithItsGround(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let key = harness.store.subjectKey(for: subject)
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: key, category: nil, ground: .criminalInvestigation, authority: "Case 2026-117", expiresAt: nil,
                createdAt: harness.clock.now))

        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .criminalInvestigation)
        let notice = try #require(try await harness.outbox(for: request.id).last)
        #expect(notice.kind == "outcome")
        #expect(notice.body.contains("criminal-investigation"))
        #expect(!notice.body.contains("Case 2026-117"), "the subject learns the ground, never the authority's reference")
        #expect(!(try CanonicalJSON.string(request.outcome)).contains("Case 2026-117"))
        let denial = try #require(try await harness.store.entries(for: request.id).last)
        #expect(denial.event.details["ground"] == "criminal-investigation")
        #expect(denial.event.details["authority"] == "Case 2026-117", "the operator's view keeps the authority")
    }

    @Test(arguments: LedgerDriver.allCases) func aHoldStopsApplyingWhenItExpires(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let key = harness.store.subjectKey(for: subject)
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: key, category: nil, ground: .nationalSecurity, authority: "Order 7",
                expiresAt: harness.clock.now.addingTimeInterval(86_400 * 10), createdAt: harness.clock.now))
        #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .denied)

        harness.clock.advance(days: 11)
        #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .completed)
    }

    @Test(arguments: LedgerDriver.allCases) func aLiftedHoldStopsApplying(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let key = harness.store.subjectKey(for: subject)
        let hold = try await harness.services.exceptions.addHold(
            Hold(subject: key, category: nil, ground: .tradeSecret, authority: "Legal 12", expiresAt: nil, createdAt: harness.clock.now))
        #expect(try await harness.services.exceptions.removeHold(id: try #require(hold.id), at: harness.clock.now))
        #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .completed)
        #expect(try await harness.services.exceptions.holds().count == 1, "the lifted hold stays on record")
    }

    @Test(arguments: LedgerDriver.allCases) func aHoldOnAnotherSubjectDoesNotApply(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let other = harness.store.subjectKey(for: SubjectIdentity(kind: "email", value: "zhang.min@example.cn"))
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: other, category: nil, ground: .criminalInvestigation, authority: "Case 1", expiresAt: nil,
                createdAt: harness.clock.now))
        #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .completed)
    }

    @Test(arguments: LedgerDriver.allCases) func aCategoryHoldNarrowsTheResponse(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let expiry = harness.clock.now.addingTimeInterval(86_400 * 30)
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: nil, category: "user.financial", ground: .otherLaw, authority: "Tax audit 2026", expiresAt: expiry,
                createdAt: harness.clock.now))
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .partiallyCompleted)
        #expect(
            request.outcome?.withheld == [WithheldCategory(category: "user.financial", ground: .otherLaw, until: Timestamp.string(expiry))])
        let notice = try #require(try await harness.outbox(for: request.id).last)
        #expect(notice.body.contains("Withheld user.financial"))
    }

    @Test(arguments: LedgerDriver.allCases) func holdsAreAudited(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let key = harness.store.subjectKey(for: subject)
        _ = try await harness.services.exceptions.addHold(
            Hold(subject: key, category: nil, ground: .abuseOfRights, authority: "Review 3", expiresAt: nil, createdAt: harness.clock.now))
        #expect(try await harness.store.verify() == .intact(entries: 1))
    }

    /// Clause 5.11 lists seven circumstances; each, as a hold, denies and is cited.
    @Test(arguments: DenialGround.exceptionGrounds)
    func everyExceptionGroundDeniesAndIsCited(_ ground: DenialGround) async throws {
        let harness = try RightsTestHarness(modules: [ProbeRight.self], rights: "probe: {}")
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: harness.store.subjectKey(for: subject), category: nil, ground: ground, authority: "Ref 1", expiresAt: nil,
                createdAt: harness.clock.now))
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.outcome?.ground == ground)
        let notice = try #require(try await harness.outbox(for: request.id).last)
        #expect(notice.body.contains(ground.explanation))
    }
}
