import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@testable import SaleOptOutRight

@Suite("CCPA §1798.120 opt-out of sale and sharing, added from outside RightsKit")
struct SaleOptOutRightTests {
    @Test func conformsToTheKernelContract() async throws {
        let failures = try await RightModuleConformance(module: SaleOptOutRight.self, rights: "sale-opt-out: {}").run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// No code is sent and none is asked for: the opt-out is recorded at once.
    @Test func theOptOutIsRecordedWithoutACode() async throws {
        let harness = try RightsTestHarness.sample(subjects: 20, modules: [SaleOptOutRight.self], rights: "sale-opt-out: {}")
        let request = try await harness.pipeline.submit(
            RequestIntake(right: "sale-opt-out", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(5))))
        #expect(request.state == .completed)
        #expect(try await harness.outbox(for: request.id).allSatisfy { $0.kind != "verification-code" })
        let limits = try await harness.processingLimits(ofSubject: 5)
        #expect(!limits.isEmpty)
        #expect(limits.allSatisfy { $0.purposes == ["sale", "sharing"] && $0.basis == "CCPA §1798.120 opt-out" })
        #expect(try await harness.processingLimits(ofSubject: 6).isEmpty)
    }
}
