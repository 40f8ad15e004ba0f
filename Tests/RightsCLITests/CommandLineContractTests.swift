import Foundation
import RightsStore
import RightsTesting
import Testing

/// The CLI as a script uses it: every command's `--json` parses with the types a script
/// expects, every exit code is reachable, and errors under `--json` are one JSON object on
/// stderr with nothing on stdout.
@Suite("The command line's contract: typed JSON, JSON errors, distinct exit codes")
struct CommandLineContractTests {
    /// Runs a command with `--json`, expecting `status`, and returns what it printed, parsed.
    func json(_ cli: CommandLineRunner, _ arguments: [String], status: Int32 = 0) async throws -> Any {
        let result = try await cli.run(arguments + ["--json"])
        #expect(result.status == status, "\(arguments): \(result.errors)")
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(result.output.utf8), options: [.fragmentsAllowed]) else {
            throw CommandLineError(message: "\(arguments) printed no JSON: \(result.output.prefix(300)) \(result.errors.prefix(300))")
        }
        return parsed
    }

    func object(_ cli: CommandLineRunner, _ arguments: [String]) async throws -> [String: Any] {
        try #require(try await json(cli, arguments) as? [String: Any], "\(arguments)")
    }

    /// An error under `--json`: nothing on stdout, one JSON object on stderr.
    func failure(_ cli: CommandLineRunner, _ arguments: [String], status: Int32, code: String) async throws {
        let result = try await cli.run(arguments + ["--json"])
        #expect(result.status == status, "\(arguments): \(result.errors)")
        #expect(result.output.isEmpty, "\(arguments) printed on stdout: \(result.output)")
        // The last line of stderr (log lines, if any, come before it).
        let last = result.errors.split(separator: "\n").last.map(String.init) ?? ""
        let body = try #require(
            try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(arguments): \(result.errors)")
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["code"] as? String == code, "\(arguments): \(error)")
        #expect(error["exit"] as? Int == Int(status))
        #expect((error["message"] as? String)?.isEmpty == false)
    }

    func code(_ cli: CommandLineRunner, _ id: String) async throws -> String {
        let outbox = try #require(try await json(cli, ["outbox", "--request", id]) as? [[String: Any]])
        let codes = outbox.compactMap { $0["message"] as? [String: Any] }.filter { $0["kind"] as? String == "verification-code" }
        return try #require(RightsTestHarness.code(in: codes.last?["body"] as? String ?? ""))
    }

    @Test func everyCommandPrintsTypedJSON() async throws {
        let config = try CommandLineRunner.repositoryConfig
            .replacingOccurrences(of: "  notifier: { driver: outbox }", with: "  notifier: { driver: outbox, mail_drop: data/mail-drop }")
        let cli = try CommandLineRunner(config: config, executable: "rightskit")
        // Before the sample exists: modules lists, check-config says what is missing.
        let modules = try #require(try await json(cli, ["modules"]) as? [[String: Any]])
        #expect(
            modules.count == 9 && modules.allSatisfy { $0["enabled"] is Bool && $0["identifier"] is String && $0["verification"] is String }
        )
        try await failure(cli, ["check-config"], status: 3, code: "invalid-configuration")
        let seeded = try await object(cli, ["demo", "seed", "--subjects", "30"])
        #expect(seeded["subjects"] as? Int == 30 && seeded["database"] as? String == cli.directory.file("data/sample-business.sqlite"))
        let checked = try await object(cli, ["check-config"])
        #expect((checked["rights"] as? [String])?.count == 9 && checked["warnings"] is [Any])

        let filed = try await object(
            cli, ["submit", "--at", "2027-01-04T10:00", "--right", "access", "--subject", "email:user1@example.cn"])
        let id = try #require(filed["id"] as? String)
        #expect(filed["state"] as? String == "awaitingVerification" && filed["receivedAt"] is String && filed["dueAt"] is String)
        #expect(try await object(cli, ["resend", id, "--at", "2027-01-04T10:05"])["resent"] as? String == id)
        let verified = try await object(cli, ["verify", id, "--at", "2027-01-04T10:06", "--code", try await code(cli, id)])
        #expect(verified["state"] as? String == "completed" && verified["verification"] as? String == "code")
        #expect(((verified["outcome"] as? [String: Any])?["references"] as? [String: String])?["records"] != nil)
        #expect(try await object(cli, ["status", id])["id"] as? String == id)
        #expect(try #require(try await json(cli, ["requests"]) as? [[String: Any]]).count == 1)

        let copy = try await object(
            cli, ["submit", "--right", "portability", "--subject", "email:user2@example.cn", "--param", "mode=copy"])
        let copyID = try #require(copy["id"] as? String)
        #expect(try await object(cli, ["verify", copyID, "--code", try await code(cli, copyID)])["state"] as? String == "awaitingReview")
        #expect(try await object(cli, ["approve", copyID])["state"] as? String == "completed")

        let other = try await object(cli, ["submit", "--right", "explanation", "--subject", "email:user3@example.cn"])
        let otherID = try #require(other["id"] as? String)
        #expect(
            try await object(cli, ["extend", otherID, "--reason", "complex request"])["extensionReason"] as? String == "complex request")
        #expect(try await object(cli, ["review", otherID])["reviewRequested"] as? Bool == true)
        #expect(try await object(cli, ["deny", otherID, "--ground", "trade-secret"])["state"] as? String == "denied")
        let cancelled = try await object(cli, ["submit", "--right", "explanation", "--subject", "email:user4@example.cn"])
        #expect(try await object(cli, ["cancel", try #require(cancelled["id"] as? String)])["state"] as? String == "cancelled")

        let hold = try await object(
            cli, ["hold", "add", "--subject", "email:user9@example.cn", "--ground", "criminal-investigation", "--authority", "Case 1"])
        let holdID = try #require(hold["id"] as? Int)
        #expect(try #require(try await json(cli, ["hold", "list"]) as? [[String: Any]]).first?["authority"] as? String == "Case 1")
        #expect(try await object(cli, ["hold", "remove", "\(holdID)"])["lifted"] as? Int == holdID)

        let located = try await object(cli, ["data", "locate", "--subject", "email:user5@example.cn"])
        #expect((located["tables"] as? [[String: Any]])?.first?["rows"] is Int)
        let exported = try await object(cli, ["data", "export", "--subject", "email:user5@example.cn", "--out", "user5.json"])
        #expect((exported["records"] as? Int ?? 0) > 0)

        let checkpoint = try await object(cli, ["audit", "checkpoint"])
        #expect(checkpoint["sequence"] is Int && checkpoint["hash"] is String)
        let audit = try await object(cli, ["audit", "verify"])
        #expect(audit["intact"] as? Bool == true && audit["checkpoints"] as? Int == 2 && audit["simulated"] as? Int ?? 0 > 0)
        let sweep = try await object(cli, ["sweep"])
        #expect(
            sweep["resumed"] is [Any] && sweep["failed"] is [Any] && sweep["responsesRemoved"] is Int
                && sweep["restrictionsLifted"] is [String: Any])
        #expect((try await object(cli, ["outbox", "deliver"])["delivered"] as? Int ?? 0) > 0)
        #expect(
            try #require(try await json(cli, ["outbox"]) as? [[String: Any]]).allSatisfy {
                $0["minimised"] as? Bool == true && $0["id"] is Int
            })

        let bench = try await object(
            cli, ["bench", "--subjects", "40", "--heavy-rows", "200", "--runs", "1", "--folder", cli.directory.file("bench")])
        let rows = try #require(bench["rows"] as? [[String: Any]])
        #expect(rows.count == 4 && rows.allSatisfy { $0["measurement"] is String && $0["byHand"] is Double && $0["ratio"] is Double })
        #expect(bench["peakResidentMiB"] is Double)

        let demo = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        let ran = try await object(demo, ["demo", "run"])
        #expect(ran["auditIntact"] as? Bool == true && (ran["request"] as? [String: Any])?["state"] as? String == "completed")
    }

    @Test func eachExitCodeIsReachedAndSaidInJSON() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let filed = try await object(cli, ["submit", "--right", "access", "--subject", "email:user1@example.cn"])
        let id = try #require(filed["id"] as? String)
        // 64 bad input: a malformed request, a malformed code, an unknown option.
        try await failure(cli, ["submit", "--right", "access", "--subject", "passport:X1"], status: 64, code: "bad-input")
        try await failure(cli, ["verify", id, "--code", "12ab"], status: 64, code: "bad-input")
        try await failure(cli, ["status", id, "--colour"], status: 64, code: "bad-input")
        // 10 verification failed.
        try await failure(
            cli, ["verify", id, "--code", try await code(cli, id) == "00000000" ? "11111111" : "00000000"], status: 10,
            code: "verification-failed")
        // 4 not found.
        try await failure(cli, ["status", "00000000-0000-4000-8000-000000000000"], status: 4, code: "not-found")
        // 5 refused by policy: a right not enabled, a finished request approved.
        try await failure(cli, ["submit", "--right", "objection", "--subject", "email:user1@example.cn"], status: 5, code: "refused")
        _ = try await object(cli, ["verify", id, "--code", try await code(cli, id)])
        try await failure(cli, ["approve", id], status: 5, code: "refused")
        // 9 rate limited: a new code within the cooldown.
        let second = try await object(cli, ["submit", "--right", "access", "--subject", "email:user2@example.cn"])
        try await failure(cli, ["resend", try #require(second["id"] as? String)], status: 9, code: "rate-limited")
        // 3 invalid configuration, located.
        try await failure(cli, ["status", id, "--config", "nowhere.yaml"], status: 3, code: "invalid-configuration")
        // 1 an unexpected failure: the ledger is not a database.
        let broken = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        try FileManager.default.createDirectory(atPath: broken.directory.file("data"), withIntermediateDirectories: true)
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: broken.directory.file("data/rightskit.sqlite")))
        #expect(try await broken.run("demo", "seed", "--subjects", "5").status == 0)
        let unexpected = try await broken.run("requests", "--json")
        #expect(unexpected.status == 1, "\(unexpected.errors)")
        // `help` lists the codes.
        let help = try await cli.run("help")
        #expect(help.output.contains("10 verification failed") && help.output.contains("64 bad input"))
        #expect(try await cli.run("submit", "--help").output.contains("operator"))
    }

    /// `demo seed --config` writes the database and vault that deployment maps.
    @Test func demoSeedHonoursTheConfigItIsGiven() async throws {
        let cli = try CommandLineRunner(config: "unused: true", executable: "rightskit")
        let other = try CommandLineRunner.repositoryConfig
            .replacingOccurrences(of: "path: data/sample-business.sqlite", with: "path: elsewhere/shop.sqlite")
            .replacingOccurrences(of: "vault: data/vault.sqlite", with: "vault: elsewhere/keys.sqlite")
        try other.write(toFile: cli.directory.file("other.yaml"), atomically: true, encoding: .utf8)
        let seeded = try await object(cli, ["demo", "seed", "--subjects", "5", "--config", "other.yaml"])
        #expect(seeded["database"] as? String == cli.directory.file("elsewhere/shop.sqlite"))
        #expect(FileManager.default.fileExists(atPath: cli.directory.file("elsewhere/keys.sqlite")))
        #expect(try await cli.run("check-config", "--config", "other.yaml").status == 0)
    }

    /// 8: the work failed (recorded on the request); `retry` works it again once fixed.
    @Test func aFailingModuleExitsEightAndRetryFinishesIt() async throws {
        let config = probeDeployment(
            probe: "{ steps: 3 }", intake: "{ filings: 1000 }\n  processing: { lease_seconds: 30, max_failures: 1 }")
        let cli = try CommandLineRunner(config: config)
        let blocker = cli.directory.file("blocker")
        try Data().write(to: URL(fileURLWithPath: blocker))
        let filed = try await object(
            cli, ["submit", "--right", "probe", "--subject", "email:li.wei@example.cn", "--param", "fail_while=\(blocker)"])
        let id = try #require(filed["id"] as? String)
        try await failure(cli, ["verify", id, "--code", try await cli.code(for: id)], status: 8, code: "work-failed")
        #expect(try await object(cli, ["status", id])["state"] as? String == "needsAttention")
        try FileManager.default.removeItem(atPath: blocker)
        #expect(try await object(cli, ["retry", id])["state"] as? String == "completed")
    }
}
