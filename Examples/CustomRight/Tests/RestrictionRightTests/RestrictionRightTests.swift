import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@testable import RestrictionRight

@Suite("GDPR Art. 18 restriction of processing, added from outside RightsKit")
struct RestrictionRightTests {
    func harness(rights: String = "restriction: {}") throws -> RightsTestHarness {
        try RightsTestHarness.sample(subjects: 20, modules: [RestrictionRight.self], rights: rights, policy: "deadline: { months: 1 }")
    }

    func intake(subject: Int, ground: String = "accuracy-contested") -> RequestIntake {
        RequestIntake(
            right: "restriction", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)),
            parameters: ["ground": ground])
    }

    @Test func conformsToTheKernelContract() async throws {
        let failures = try await RightModuleConformance(
            module: RestrictionRight.self, rights: "restriction: {}", parameters: ["ground": "accuracy-contested"]
        ).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// The host application, reading its own database, finds every row of the subject limited
    /// to storage, with the article; the next subject's rows are not.
    @Test func theHostReadsTheRestrictionOnEveryRowOfTheSubject() async throws {
        let harness = try harness()
        let request = try await harness.run(intake(subject: 7))
        #expect(request.state == .completed)
        let limits = try await harness.processingLimits(ofSubject: 7)
        #expect(limits.count >= 3)
        #expect(limits.allSatisfy { $0.purposes == nil && $0.basis.hasPrefix("GDPR Art. 18(1)(a)") })
        #expect(try await harness.processingLimits(ofSubject: 8).isEmpty)
        #expect(request.outcome?.references["rows"] == "\(limits.count)")
    }

    @Test func aGroundTheDeploymentDoesNotAcceptIsRefusedAtIntake() async throws {
        let harness = try harness(rights: "restriction: { grounds: [accuracy-contested] }")
        await #expect(throws: (any Error).self) { try await harness.pipeline.submit(intake(subject: 7, ground: "objection-pending")) }
        #expect(try await harness.processingLimits(ofSubject: 7).isEmpty)
    }

    @Test func aMisspeltGroundInTheSettingsIsLocatedWithTheClosest() throws {
        let error = #expect(throws: ConfigErrors.self) { try harness(rights: "restriction: { grounds: [accuracy-contestd] }") }
        #expect(error?.description.contains("rights.restriction.grounds") == true)
        #expect(error?.description.contains("did you mean 'accuracy-contested'?") == true)
    }

    @Test func operatorsMayCiteTheModulesOwnGround() throws {
        let harness = try harness()
        #expect(harness.pipeline.deployment.denialGround("restriction-ground-not-met") == .restrictionGroundNotMet)
    }
}
