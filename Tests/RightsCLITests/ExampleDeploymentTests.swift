import Foundation
import RightsKernel
import RightsTesting
import Testing

@Suite("The per-jurisdiction example deployments load and apply their own policy")
struct ExampleDeploymentTests {
    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples")
    }

    func runner() throws -> CommandLineRunner {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        let target = URL(fileURLWithPath: cli.directory.file("Examples"))
        try FileManager.default.copyItem(at: Self.examples, to: target)
        return cli
    }

    @Test(arguments: ["gdpr.yaml", "ccpa.yaml", "lgpd.yaml"])
    func eachExampleChecksOut(_ file: String) async throws {
        let cli = try runner()
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        let check = try await cli.run("check-config", "--config", "Examples/\(file)")
        #expect(check.status == 0, "\(check.errors)")
    }

    @Test func theGDPRDeadlineIsACalendarMonthAndCCPARefusesAThirdDisclosure() async throws {
        let cli = try runner()
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        let submitted = try await cli.run(
            "submit", "--config", "Examples/gdpr.yaml", "--right", "access", "--subject", "email:user1@example.cn", "--json")
        let request = try #require(try cli.json(submitted) as? [String: Any])
        let receivedText = try #require(request["receivedAt"] as? String)
        let dueText = try #require(request["dueAt"] as? String)
        let received = try #require(Timestamp.date(receivedText))
        let due = try #require(Timestamp.date(dueText))
        // One calendar month in Europe/Berlin, ending at local midnight.
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = berlin
        let monthLater = try #require(calendar.date(byAdding: .month, value: 1, to: calendar.startOfDay(for: received)))
        #expect(Timestamp.day(due, in: berlin) == Timestamp.day(monthLater, in: berlin))
        // CCPA: the third access request within twelve months is refused once verified.
        var last: [String: Any] = [:]
        for _ in 1...3 {
            let result = try await cli.run(
                "submit", "--config", "Examples/ccpa.yaml", "--right", "access", "--subject", "email:user2@example.cn", "--json")
            let id = try #require((try cli.json(result) as? [String: Any])?["id"] as? String)
            let outbox = try #require(
                try cli.json(try await cli.run("outbox", "--config", "Examples/ccpa.yaml", "--request", id, "--json")) as? [[String: Any]])
            // CCPA confirms receipt first (§7021); the code is its own message.
            let message = outbox.compactMap { $0["message"] as? [String: Any] }.first { $0["kind"] as? String == "verification-code" }
            let body = try #require(message?["body"] as? String)
            let code = try #require(RightsTestHarness.code(in: body))
            last = try #require(
                try cli.json(try await cli.run("verify", "--config", "Examples/ccpa.yaml", id, "--code", code, "--json")) as? [String: Any])
        }
        #expect(last["state"] as? String == "denied")
        #expect(((last["outcome"] as? [String: Any])?["ground"] as? [String: Any])?["code"] as? String == "gratuitous-repetition")
    }

    /// GDPR Art. 12(5) at the command line: the fourth access request within twelve months waits
    /// for an operator, who charges the pack's fee with a finding.
    @Test func aGDPROperatorChargesTheFeeOnAFinding() async throws {
        let cli = try runner()
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        var last: [String: Any] = [:]
        for _ in 1...4 {
            let result = try await cli.run(
                "submit", "--config", "Examples/gdpr.yaml", "--right", "access", "--subject", "email:user3@example.cn", "--json")
            let id = try #require((try cli.json(result) as? [String: Any])?["id"] as? String, "\(result.errors)")
            let outbox = try #require(
                try cli.json(try await cli.run("outbox", "--config", "Examples/gdpr.yaml", "--request", id, "--json")) as? [[String: Any]])
            let message = outbox.compactMap { $0["message"] as? [String: Any] }.first { $0["kind"] as? String == "verification-code" }
            let body = try #require(message?["body"] as? String)
            let code = try #require(RightsTestHarness.code(in: body))
            last = try #require(
                try cli.json(try await cli.run("verify", "--config", "Examples/gdpr.yaml", id, "--code", code, "--json")) as? [String: Any])
        }
        #expect(last["state"] as? String == "awaitingReview")
        let id = try #require(last["id"] as? String)
        let charged = try await cli.run(
            "charge", "--config", "Examples/gdpr.yaml", id, "--finding", "four identical requests in one day", "--json")
        #expect(charged.status == 0, "\(charged.errors)")
        #expect((try cli.json(charged) as? [String: Any])?["state"] as? String == "awaitingFee")
    }
}
