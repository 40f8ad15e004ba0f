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
}
