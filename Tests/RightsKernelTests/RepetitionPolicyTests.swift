import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("Clause 5.10: free up to a number per window, then a fee quote or a refusal")
struct RepetitionPolicyTests {
    let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")

    func harness(beyond: String) throws -> RightsTestHarness {
        let fee = beyond == "fee" ? ", fee: { amount: 30, currency: CNY }" : ""
        return try RightsTestHarness(
            modules: [ProbeRight.self], rights: "probe: {}",
            policy: """
                deadline: { days: 15 }
                repeat: { window_days: 365, free: 2, beyond: \(beyond)\(fee) }
                """)
    }

    @Test func beyondTheFreeAllowanceAFeeIsQuoted() async throws {
        let harness = try harness(beyond: "fee")
        for _ in 1...2 {
            #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .completed)
        }
        let third = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(third.state == .awaitingFee)
        #expect(third.feeQuote == FeeQuote(amount: 30, currency: "CNY"))
        #expect(try await harness.store.verify().isIntact)

        // Once the fee is settled the request is carried out.
        let settled = try await harness.pipeline.approve(third.id, operator: "finance")
        #expect(settled.state == .completed)
        let actions = try await harness.store.entries(for: third.id).map(\.event.action)
        #expect(actions.contains("repetition.fee-quoted"))
        #expect(actions.contains("fee.settled"))
    }

    @Test func beyondTheFreeAllowanceARefusalCitesItsGround() async throws {
        let harness = try harness(beyond: "refuse")
        _ = try await harness.run(RequestIntake(right: "probe", subject: subject))
        _ = try await harness.run(RequestIntake(right: "probe", subject: subject))
        let third = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(third.state == .denied)
        #expect(third.outcome?.ground == .gratuitousRepetition)
        let notice = try await harness.outbox(for: third.id).last
        #expect(notice?.body.contains("gratuitous-repetition") == true)
    }

    @Test func theAllowanceIsPerSubjectAndPerRight() async throws {
        let harness = try harness(beyond: "refuse")
        _ = try await harness.run(RequestIntake(right: "probe", subject: subject))
        _ = try await harness.run(RequestIntake(right: "probe", subject: subject))
        // Another subject, and the same subject spelt with other capitals, are counted apart / together.
        let other = try await harness.run(
            RequestIntake(right: "probe", subject: SubjectIdentity(kind: "email", value: "zhang.min@example.cn")))
        #expect(other.state == .completed)
        let sameSubject = try await harness.run(
            RequestIntake(right: "probe", subject: SubjectIdentity(kind: "email", value: "Li.Wei@Example.CN")))
        #expect(sameSubject.state == .denied)
    }

    @Test func theWindowSlides() async throws {
        let harness = try harness(beyond: "refuse")
        _ = try await harness.run(RequestIntake(right: "probe", subject: subject))
        _ = try await harness.run(RequestIntake(right: "probe", subject: subject))
        harness.clock.advance(days: 366)
        #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .completed)
    }

    /// `count: disclosures` (CCPA §1798.130(b)): a refused request is not a disclosure, so it
    /// does not use up the allowance; counting requests, it would. On both ledgers.
    @Test(arguments: LedgerDriver.allCases)
    func onlyAnsweredRequestsCountAsDisclosures(on driver: LedgerDriver) async throws {
        for (counted, thirdState) in [("disclosures", RequestState.completed), ("requests", RequestState.denied)] {
            let harness = try await RightsTestHarness(
                on: driver, modules: [ProbeRight.self], rights: "probe: {}",
                policy: """
                    deadline: { days: 15 }
                    repeat: { window_months: 12, free: 2, count: \(counted), beyond: refuse }
                    """)
            #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .completed)
            let hold = try await harness.services.exceptions.addHold(
                Hold(
                    subject: harness.store.subjectKey(for: subject), category: nil, ground: .criminalInvestigation, authority: "Case 1",
                    expiresAt: nil, createdAt: harness.clock.now))
            #expect(try await harness.run(RequestIntake(right: "probe", subject: subject)).state == .denied)
            #expect(try await harness.services.exceptions.removeHold(id: try #require(hold.id), at: harness.clock.now))
            let third = try await harness.run(RequestIntake(right: "probe", subject: subject))
            #expect(third.state == thirdState, "count: \(counted)")
            if counted == "disclosures" {
                let fourth = try await harness.run(RequestIntake(right: "probe", subject: subject))
                #expect(fourth.state == .denied && fourth.outcome?.ground == .gratuitousRepetition)
            }
        }
    }
}
