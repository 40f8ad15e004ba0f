import Foundation
import GRDB
import RightsTesting
import Testing

/// Races between real `rightskit` processes on one deployment: every request is worked once,
/// one outcome message is sent, the audit chain stays intact, and the losers get a clear
/// conflict (exit 7), never a raw SQLite message.
@Suite("Concurrent processes: exclusive transitions and atomic code checks", .serialized)
struct ConcurrentProcessTests {
    static let probe = "{ steps: 3, trace: trace.log }"

    /// Runs every argument list as its own process at once and waits for all of them.
    static func together(_ cli: CommandLineRunner, _ commands: [[String]]) async throws -> [CommandLineRunner.Result] {
        var started: [(Process, URL, URL)] = []
        for command in commands { started.append(try await cli.start(command)) }
        var results: [CommandLineRunner.Result] = []
        for (process, out, err) in started {
            await CommandLineRunner.waitForExit(process)
            results.append(
                CommandLineRunner.Result(
                    status: process.terminationStatus,
                    output: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                    errors: (try? String(contentsOf: err, encoding: .utf8)) ?? ""
                ))
        }
        return results
    }

    static func counts(_ cli: CommandLineRunner, request id: String) throws -> (outcomes: Int, finals: Int, steps: Int) {
        let ledger = try DatabaseQueue(path: cli.directory.file("data/ledger.sqlite"))
        let (outcomes, finals) = try ledger.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE request_id = ? AND kind = 'outcome'", arguments: [id]) ?? 0,
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM audit_entries WHERE request_id = ? AND action IN ('request.completed', 'request.denied')",
                    arguments: [id]) ?? 0
            )
        }
        let trace = (try? String(contentsOfFile: cli.directory.file("trace.log"), encoding: .utf8)) ?? ""
        return (outcomes, finals, trace.split(separator: "\n").filter { $0.hasSuffix(id) }.count)
    }

    /// The module's three steps ran once each, one outcome message went out, one final entry.
    static func expectWorkedOnce(_ cli: CommandLineRunner, request id: String) throws {
        let counts = try counts(cli, request: id)
        #expect(counts.steps == 3, "the module's three steps ran once each")
        #expect(counts.outcomes == 1, "one outcome message")
        #expect(counts.finals == 1, "one final audit entry")
    }

    static func assertCleanLosers(_ results: [CommandLineRunner.Result]) {
        for result in results where result.status != 0 {
            #expect(result.status == 7, "a loser exits with the conflict status: \(result.status) \(result.errors)")
            #expect(!result.errors.contains("SQLite") && !result.errors.contains("constraint"), "no raw store message: \(result.errors)")
            #expect(result.errors.contains("already") || result.errors.contains("another"), "the loser is told why: \(result.errors)")
        }
    }

    @Test func twelveProcessesVerifyingOneRequestRunItOnce() async throws {
        let cli = try CommandLineRunner(config: probeDeployment(probe: Self.probe))
        for _ in 0..<30 {
            let id = try await cli.submit(["--right", "probe", "--subject", "email:li.wei@example.cn"])
            let code = try await cli.code(for: id)
            let results = try await Self.together(cli, Array(repeating: ["verify", id, "--code", code], count: 12))
            #expect(results.filter { $0.status == 0 }.count == 1, "exactly one verification proceeds")
            Self.assertCleanLosers(results)
            try Self.expectWorkedOnce(cli, request: id)
        }
        #expect(try await cli.run("audit", "verify").status == 0)
    }

    @Test func approveRacingResumeWorksTheRequestOnce() async throws {
        let cli = try CommandLineRunner(config: probeDeployment(probe: "{ steps: 3, trace: trace.log, review: true }"))
        for _ in 0..<10 {
            let id = try await cli.submit(["--right", "probe", "--subject", "email:li.wei@example.cn"])
            let verified = try await cli.run("verify", id, "--code", try await cli.code(for: id))
            #expect(verified.status == 0, "\(verified.errors)")
            let results = try await Self.together(cli, [["approve", id], ["resume"], ["approve", id], ["resume"]])
            #expect(results.filter { $0.status == 0 }.count >= 1)
            for result in results where result.status != 0 {
                #expect([5, 7].contains(result.status), "a second approve is refused cleanly: \(result.errors)")
                #expect(!result.errors.contains("SQLite"))
            }
            try Self.expectWorkedOnce(cli, request: id)
        }
        #expect(try await cli.run("audit", "verify").status == 0)
    }

    @Test func verifyRacingResumeWorksTheRequestOnce() async throws {
        let cli = try CommandLineRunner(config: probeDeployment(probe: Self.probe))
        for _ in 0..<10 {
            let id = try await cli.submit(["--right", "probe", "--subject", "email:li.wei@example.cn"])
            let code = try await cli.code(for: id)
            let results = try await Self.together(
                cli, [["verify", id, "--code", code], ["resume"], ["verify", id, "--code", code], ["resume"], ["resume"]])
            Self.assertCleanLosers(results.filter { !$0.output.contains("resumed") })
            for result in results where result.output.contains("resumed") {
                #expect(result.status == 0, "resume leaves a request another process moved first: \(result.errors)")
            }
            try Self.expectWorkedOnce(cli, request: id)
        }
        #expect(try await cli.run("audit", "verify").status == 0)
    }

    @Test func thirtyTwoWrongGuessesAtOnceCheckAtMostTheAttemptLimit() async throws {
        let cli = try CommandLineRunner(config: probeDeployment(probe: Self.probe))
        let id = try await cli.submit(["--right", "probe", "--subject", "email:li.wei@example.cn"])
        let code = try await cli.code(for: id)
        let wrong = code == "00000000" ? "11111111" : "00000000"
        let results = try await Self.together(cli, Array(repeating: ["verify", id, "--code", wrong], count: 32))
        #expect(results.allSatisfy { $0.status != 0 })
        let ledger = try DatabaseQueue(path: cli.directory.file("data/ledger.sqlite"))
        let (rejected, locked) = try await ledger.read { db in
            (
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM audit_entries WHERE request_id = ? AND action = 'identity.rejected'", arguments: [id])
                    ?? 0,
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM audit_entries WHERE request_id = ? AND action = 'identity.locked'", arguments: [id]) ?? 0
            )
        }
        // max_attempts is 3: two guesses rejected, the third locks the request; the other 29
        // were never compared with the code.
        #expect(rejected == 2)
        #expect(locked == 1)
        #expect(results.filter { $0.errors.contains("wrong code;") }.count == 2)
        let status = try cli.json(try await cli.run("status", id, "--json")) as? [String: Any]
        #expect(status?["state"] as? String == "denied")
        // And the right code cannot pass afterwards.
        #expect(try await cli.run("verify", id, "--code", code).status != 0)
        #expect(try await cli.run("audit", "verify").status == 0)
    }

    @Test func sixteenProcessesSubmittingOnAnEmptyFolderAllSucceed() async throws {
        let cli = try CommandLineRunner(config: probeDeployment(probe: Self.probe))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.file("data")))
        let commands = (0..<16).map { ["submit", "--right", "probe", "--subject", "email:user\($0)@example.cn", "--json"] }
        let results = try await Self.together(cli, commands)
        for result in results { #expect(result.status == 0, "\(result.errors)") }
        let requests = try cli.json(try await cli.run("requests", "--json")) as? [[String: Any]]
        #expect(requests?.count == 16)
        #expect(try await cli.run("audit", "verify").status == 0)
    }
}

extension CommandLineRunner {
    /// Files a request and returns its id.
    func submit(_ arguments: [String]) async throws -> String {
        let result = try await run(["submit"] + arguments + ["--json"])
        guard result.status == 0, let id = (try json(result) as? [String: Any])?["id"] as? String else {
            throw CommandLineError(message: "submit failed: \(result.errors)")
        }
        return id
    }

    /// The newest code sent for a request, read from the outbox as the subject would.
    func code(for id: String) async throws -> String {
        let outbox = try json(try await run("outbox", "--request", id, "--json")) as? [[String: Any]] ?? []
        let bodies = outbox.compactMap {
            ($0["message"] as? [String: Any]).flatMap { $0["kind"] as? String == "verification-code" ? $0["body"] as? String : nil }
        }
        guard let body = bodies.last, let code = RightsTestHarness.code(in: body) else {
            throw CommandLineError(message: "no code for \(id)")
        }
        return code
    }
}

struct CommandLineError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
