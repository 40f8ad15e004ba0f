import Foundation
import GRDB
import PostMortemRight
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.9 Arrangements for personal information after death")
struct PostMortemRightTests {
    func harness(on driver: LedgerDriver) async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(
            on: driver, subjects: 30, modules: [PostMortemRight.self], rights: "post-mortem: { output: exports }")
    }

    func subject(_ n: Int) -> SubjectIdentity { SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(n)) }

    func relative(_ action: String, about n: Int, extra: [String: String] = [:]) -> RequestIntake {
        RequestIntake(
            right: "post-mortem", subject: subject(n), requester: .closeRelative,
            contact: SubjectIdentity(kind: "email", value: "relative@example.cn"),
            requesterReference: "relationship-cert-88",
            parameters: [
                "action": action, "death_proof": "death-cert-2027-001", "relationship_proof": "household-register-9",
                "interest": "settling the estate",
            ].merging(extra) { $1 })
    }

    /// Runs a relative's request: verified at their contact, then the operator checks the proofs.
    func runRelative(_ harness: RightsTestHarness, _ intake: RequestIntake) async throws -> RightRequest {
        let waiting = try await harness.run(intake)
        #expect(waiting.state == .awaitingReview, "an operator checks the proofs first")
        return try await harness.pipeline.approve(waiting.id, operator: "registry-desk")
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(
            module: PostMortemRight.self, rights: "post-mortem: { output: exports }", parameters: ["deny": "delete"], on: driver
        ).run()
        #expect(failures.isEmpty, "\(failures)")
        let relatives = try await RightModuleConformance(
            module: PostMortemRight.self, rights: "post-mortem: { output: exports }", intake: relative("access", about: 13), on: driver
        ).run()
        #expect(relatives.isEmpty, "\(relatives)")
    }

    /// "If there are no other arrangements, your close relatives may … review, copy, correct, and delete"
    @Test(arguments: LedgerDriver.allCases) func withoutArrangementsARelativeMayAccess(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await runRelative(harness, relative("copy", about: 9))
        #expect(request.state == .completed)
        let text = try String(contentsOfFile: try #require(request.outcome?.references["json"]), encoding: .utf8)
        #expect(text.contains(SampleBusinessDatabase.userID(9)))
        #expect(try await harness.outbox(for: request.id).last?.recipient.value == "relative@example.cn")
    }

    @Test(arguments: LedgerDriver.allCases) func aRelativeMayCorrectAndDelete(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let corrected = try await runRelative(
            harness, relative("correct", about: 9, extra: ["field": "user.contact.address", "value": "Babaoshan, Beijing"]))
        #expect(corrected.state == .completed)
        let address = try await DatabaseQueue(path: harness.directory.file("business.sqlite")).read { db in
            try String.fetchOne(db, sql: "SELECT address FROM accounts WHERE id = 9")
        }
        #expect(address == "Babaoshan, Beijing")
        let deleted = try await runRelative(harness, relative("delete", about: 9))
        #expect([.completed, .partiallyCompleted].contains(deleted.state))
        let email = try await DatabaseQueue(path: harness.directory.file("business.sqlite")).read { db in
            try String.fetchOne(db, sql: "SELECT email FROM accounts WHERE id = 9")
        }
        #expect(email != SampleBusinessDatabase.email(9))
    }

    /// "you may make arrangements for your personal information in advance … unless the arrangements say otherwise"
    @Test(arguments: LedgerDriver.allCases) func theSubjectsArrangementsBindRelatives(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let arranged = try await harness.run(RequestIntake(right: "post-mortem", subject: subject(9), parameters: ["deny": "delete,copy"]))
        #expect(arranged.state == .completed)
        #expect(arranged.outcome?.references["arrangement"] == "deny:copy,delete")
        let before = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        let deletion = try await runRelative(harness, relative("delete", about: 9))
        #expect(deletion.state == .denied)
        #expect(deletion.outcome?.ground == .arrangementsForbid)
        #expect(try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite")) == before)
        // What the subject did not forbid stays possible.
        #expect(try await runRelative(harness, relative("access", about: 9)).state == .completed)
        // A later arrangement replaces the earlier one.
        harness.clock.advance(days: 1)
        _ = try await harness.run(RequestIntake(right: "post-mortem", subject: subject(9), parameters: ["deny": "none"]))
        #expect(try await runRelative(harness, relative("copy", about: 9)).state == .completed)
    }

    /// "based on their legal and legitimate interests … in accordance with relevant legal provisions"
    @Test(arguments: LedgerDriver.allCases) func aRelativeMustGiveProofsAndAnInterest(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        for missing in ["death_proof", "relationship_proof", "interest"] {
            var intake = relative("access", about: 9)
            intake.parameters[missing] = nil
            await #expect(throws: PipelineError.self) { try await harness.pipeline.submit(intake) }
        }
        let rejected = try await harness.run(relative("access", about: 9))
        let denied = try await harness.pipeline.deny(
            rejected.id, ground: .otherLaw, operator: "registry-desk", note: "The death certificate could not be confirmed.")
        #expect(denied.state == .denied)
    }

    @Test(arguments: LedgerDriver.allCases) func anAgentCannotActForTheDeceased(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        var intake = relative("access", about: 9)
        intake.requester = .agent
        await #expect(throws: PipelineError.self) { try await harness.pipeline.submit(intake) }
    }

    /// An arrangement is kept as the text it always was, so one recorded by an earlier version
    /// still binds relatives.
    @Test func anArrangementReadsBackFromTheTextItIsKeptAs() {
        let recorded = PostMortemArrangement(recorded: "deny:copy,delete")
        #expect(recorded?.forbidden == [.copy, .delete])
        #expect(recorded?.recorded == "deny:copy,delete")
        #expect(PostMortemArrangement(forbidden: []).recorded == "deny:")
        #expect(PostMortemArrangement(recorded: "allow:everything") == nil)
    }
}
