import Foundation
import GRDB
import RightsStore
import RightsTesting
import Testing

@Suite("A request interrupted by a killed process resumes and completes exactly once")
struct ResumeAfterKillTests {
    @Test func killedBetweenStepsThenResumed() async throws {
        let trace = "trace.log"
        let cli = try CommandLineRunner(config: probeDeployment(probe: "{ steps: 3, trace: \(trace) }"))
        let traceFile = cli.directory.file(trace)
        let marker = cli.directory.file("paused")

        let submitted = try await cli.run("submit", "--right", "probe", "--subject", "email:li.wei@example.cn", "--json")
        let id = try #require((try cli.json(submitted) as? [String: Any])?["id"] as? String)
        let outbox = try await cli.run("outbox", "--request", id, "--json")
        let body = try #require(((try cli.json(outbox) as? [[String: Any]])?.first?["message"] as? [String: Any])?["body"] as? String)
        let code = try #require(RightsTestHarness.code(in: body))

        // Verify, which carries the request out; the module pauses after step 2 and is killed.
        let (process, _, _) = try await cli.start(
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
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM audit_entries WHERE request_id = ? AND action = 'request.completed'", arguments: [id])
                    ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE request_id = ? AND kind = 'outcome'", arguments: [id]) ?? 0
            )
        }
        #expect(completions == 1)
        #expect(outcomes == 1)
        #expect(try await cli.run("audit", "verify").status == 0)
    }

    /// A process killed after it consumed the right code but before it moved the request on:
    /// answering the same code again finishes the request once, and the subject is never told
    /// that someone else is verifying; a wrong code learns nothing.
    @Test func aCodeConsumedByAProcessThatDiedIsRecoveredByTheNextAnswer() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig)
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        let id = try await cli.submit(["--right", "access", "--subject", "email:user6@example.cn"])
        let code = try await cli.code(for: id)
        let (process, _, _) = try await cli.start(
            ["verify", id, "--code", code], environment: ["RIGHTSKIT_CRASH_AT": "verify:code-consumed"])
        await CommandLineRunner.waitForExit(process)
        #expect(process.terminationReason == .uncaughtSignal)
        let waiting = try #require(try cli.json(try await cli.run("status", id, "--json")) as? [String: Any])
        #expect(waiting["state"] as? String == "awaitingVerification")

        let wrong = try await cli.run("verify", id, "--code", code == "00000000" ? "11111111" : "00000000")
        #expect(wrong.status != 0 && !wrong.errors.contains("another response"), "\(wrong.errors)")
        let again = try await cli.run("verify", id, "--code", code, "--json")
        #expect(again.status == 0, "\(again.errors)")
        #expect(!again.errors.contains("another response"))
        let done = try #require(try cli.json(again) as? [String: Any])
        #expect(done["state"] as? String == "completed")
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        #expect(outbox.compactMap { $0["message"] as? [String: Any] }.filter { $0["kind"] as? String == "outcome" }.count == 1)
        #expect(try await cli.run("audit", "verify").status == 0)
    }

    /// A hold placed after a process died holding a request in progress stops the request when
    /// `resume` picks it up: denied with the hold's ground, and nothing changes on disk.
    @Test func aHoldPlacedBetweenAKillAndResumeDenies() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig)
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        let business = cli.directory.file("data/sample-business.sqlite")
        let before = try SampleBusinessDatabase.dump(path: business)
        let id = try await cli.submit(["--right", "erasure", "--subject", "email:user4@example.cn", "--param", "ground=consent-withdrawn"])
        let code = try await cli.code(for: id)
        let (process, _, _) = try await cli.start(
            ["verify", id, "--code", code], environment: ["RIGHTSKIT_CRASH_AT": "commit:processing.started"])
        await CommandLineRunner.waitForExit(process)
        #expect(process.terminationReason == .uncaughtSignal)

        let held = try await cli.run(
            "hold", "add", "--subject", "email:user4@example.cn", "--ground", "criminal-investigation", "--authority", "Case 2026-117")
        #expect(held.status == 0, "\(held.errors)")
        let resumed = try await cli.run("resume")
        #expect(resumed.status == 0, "\(resumed.errors)")
        let status = try #require(try cli.json(try await cli.run("status", id, "--json")) as? [String: Any])
        #expect(status["state"] as? String == "denied")
        #expect(((status["outcome"] as? [String: Any])?["ground"] as? [String: Any])?["code"] as? String == "criminal-investigation")
        #expect(try SampleBusinessDatabase.dump(path: business) == before, "nothing changed on disk")
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        let outcome = try #require(outbox.compactMap { $0["message"] as? [String: Any] }.first { $0["kind"] as? String == "outcome" })
        #expect((outcome["body"] as? String)?.contains("criminal-investigation") == true)
        #expect((outcome["body"] as? String)?.contains("Case 2026-117") == false, "the subject learns the ground only")
    }
}
