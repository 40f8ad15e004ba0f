import Foundation
import GRDB
import RightsTesting
import Testing

@Suite("A request interrupted by a killed process resumes and completes exactly once")
struct ResumeAfterKillTests {
    @Test func killedBetweenStepsThenResumed() async throws {
        let trace = "trace.log"
        let cli = try CommandLineRunner(config: probeDeployment(probe: "{ steps: 3, trace: \(trace) }"))
        let traceFile = cli.directory.file(trace), marker = cli.directory.file("paused")

        let submitted = try await cli.run("submit", "--right", "probe", "--subject", "email:li.wei@example.cn", "--json")
        let id = try #require((try cli.json(submitted) as? [String: Any])?["id"] as? String)
        let outbox = try await cli.run("outbox", "--request", id, "--json")
        let body = try #require(((try cli.json(outbox) as? [[String: Any]])?.first?["message"] as? [String: Any])?["body"] as? String)
        let code = try #require(RightsTestHarness.code(in: body))

        // Verify, which carries the request out; the module pauses after step 2 and is killed.
        let (process, _, _) = try cli.start(
            ["verify", id, "--code", code],
            environment: ["RIGHTSKIT_PROBE_PAUSE_AFTER_STEP": "2", "RIGHTSKIT_PROBE_PAUSE_MARKER": marker]
        )
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker), Date() < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(FileManager.default.fileExists(atPath: marker), "the module reached the pause")
        kill(process.processIdentifier, SIGKILL)
        await CommandLineRunner.waitForExit(process)
        #expect(process.terminationReason == .uncaughtSignal)

        let interrupted = try await cli.run("status", id, "--json")
        #expect((try cli.json(interrupted) as? [String: Any])?["state"] as? String == "inProgress")

        let resumed = try await cli.run("resume")
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(resumed.output.contains("resumed 1 request(s)"))

        // Each step ran exactly once across both processes.
        let lines = try String(contentsOfFile: traceFile, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["step1 \(id)", "step2 \(id)", "step3 \(id)"])

        let final = try await cli.run("status", id, "--json")
        #expect((try cli.json(final) as? [String: Any])?["state"] as? String == "completed")

        // One completion in the audit log and one outcome message; a second resume does nothing.
        let again = try await cli.run("resume")
        #expect(again.output.contains("resumed 0 request(s)"))
        let raw = try DatabaseQueue(path: cli.directory.file("data/ledger.sqlite"))
        let (completions, outcomes) = try await raw.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entries WHERE request_id = ? AND action = 'request.completed'", arguments: [id]) ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE request_id = ? AND kind = 'outcome'", arguments: [id]) ?? 0
            )
        }
        #expect(completions == 1)
        #expect(outcomes == 1)
        #expect(try await cli.run("audit", "verify").status == 0)
    }
}
