import Foundation
import RightsKernel
import RightsTesting
import Testing

@Suite("RightsTesting gives module authors a working pipeline in a few lines")
struct RightsTestHarnessTests {
    @Test func aRequestRunsThroughTheRealPipeline() async throws {
        let harness = try RightsTestHarness(modules: [ProbeRight.self], rights: "probe: { steps: 1 }")
        let request = try await harness.run(RequestIntake(right: "probe", subject: SubjectIdentity(kind: "email", value: "a@example.cn")))
        #expect(request.state == .completed)
        #expect(FileManager.default.fileExists(atPath: harness.directory.file("ledger.sqlite")))
        #expect(try await harness.outbox(for: request.id).map(\.kind) == ["verification-code", "outcome"])
    }

    @Test func theClockIsSettable() {
        let clock = SettableClock()
        let start = clock.now
        clock.advance(days: 2)
        #expect(clock.now.timeIntervalSince(start) == 172_800)
        clock.set(start)
        #expect(clock.now == start)
    }

    @Test func codesAreReadFromMessageBodies() {
        #expect(RightsTestHarness.code(in: "Your verification code is 042917. It expires in 10 minutes.") == "042917")
        #expect(RightsTestHarness.code(in: "no code here") == nil)
    }

    @Test func temporaryDirectoriesAreRemoved() throws {
        var path = ""
        do {
            let directory = try TemporaryDirectory()
            path = directory.path
            #expect(FileManager.default.fileExists(atPath: path))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
