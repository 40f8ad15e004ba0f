import Foundation
import RightsStore
import RightsTesting
import Testing

/// The README tour, run as a new user would: the shipped `rightskit` with the repository's
/// `config.yaml`, one request of each right on the sample database.
@Suite("The README tour: one request of each right through the CLI")
struct TourTests {
    /// Files a request and verifies it with the code from the outbox; returns its final JSON.
    func file(_ cli: CommandLineRunner, _ arguments: [String]) async throws -> [String: Any] {
        try await cli.fileAndVerify(arguments)
    }

    func state(_ request: [String: Any]) -> String { request["state"] as? String ?? "?" }

    @Test func oneRequestOfEachRight() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "200").status == 0)
        let modules = try #require(try cli.json(try await cli.run("modules", "--json")) as? [[String: Any]])
        #expect(modules.filter { $0["enabled"] as? Bool == true }.count == 9)

        let access = try await file(cli, ["--right", "access", "--subject", "email:user1@example.cn"])
        #expect(state(access) == "completed")

        let correction = try await file(
            cli,
            [
                "--right", "correction", "--subject", "email:user2@example.cn", "--param", "field=user.contact.phone", "--param",
                "value=+8613912345678",
            ])
        #expect(state(correction) == "completed")
        let refused = try await file(
            cli,
            [
                "--right", "correction", "--subject", "email:user2@example.cn", "--param", "field=user.identity.real_name", "--param",
                "value=Wang Fang",
            ])
        #expect(state(refused) == "denied")

        let erasure = try await file(
            cli, ["--right", "erasure", "--subject", "email:user4@example.cn", "--param", "ground=consent-withdrawn"])
        #expect(["completed", "partiallyCompleted"].contains(state(erasure)))

        let consent = try await file(
            cli, ["--right", "consent-withdrawal", "--subject", "email:user7@example.cn", "--param", "purpose=marketing"])
        #expect(state(consent) == "completed")

        let cancellation = try await file(
            cli, ["--right", "account-cancellation", "--subject", "email:user8@example.cn", "--param", "confirm=irreversible"])
        #expect(["completed", "partiallyCompleted"].contains(state(cancellation)))

        let copy = try await file(cli, ["--right", "portability", "--subject", "email:user10@example.cn", "--param", "mode=copy"])
        #expect(state(copy) == "awaitingReview", "strong verification waits for the identity desk")
        let approved = try await cli.run("approve", try #require(copy["id"] as? String), "--operator", "id-desk", "--json")
        let copied = try #require(try cli.json(approved) as? [String: Any])
        #expect(state(copied) == "completed")
        let archive = try #require(
            (copied["outcome"] as? [String: Any]).flatMap { $0["references"] as? [String: Any] }?["archive"] as? String)
        #expect(FileManager.default.fileExists(atPath: archive))

        let ends = Date().addingTimeInterval(20 * 86_400).formatted(.iso8601.year().month().day())
        let notice = try await file(
            cli,
            [
                "--right", "discontinuation-notice", "--subject", "product:bos", "--requester", "operator", "--reference",
                "product-board-2026", "--param", "ends=\(ends)",
            ])
        #expect(state(notice) == "inProgress", "notices sent; erasure waits for the end date")

        let explanation = try await file(cli, ["--right", "explanation", "--subject", "email:user11@example.cn"])
        #expect(state(explanation) == "completed")

        let arrangement = try await file(cli, ["--right", "post-mortem", "--subject", "email:user13@example.cn", "--param", "deny=delete"])
        #expect(state(arrangement) == "completed")
        let relative = try await file(
            cli,
            [
                "--right", "post-mortem", "--subject", "email:user13@example.cn", "--requester", "close-relative",
                "--contact", "email:relative@example.cn", "--reference", "household-register-9",
                "--param", "action=access", "--param", "death_proof=death-cert-001",
                "--param", "relationship_proof=household-register-9", "--param", "interest=settling the estate",
            ])
        #expect(state(relative) == "awaitingReview")
        let reviewed = try await cli.run("approve", try #require(relative["id"] as? String), "--json")
        #expect(state(try #require(try cli.json(reviewed) as? [String: Any])) == "completed")

        #expect(try await cli.run("audit", "verify").status == 0)
    }

    @Test func aRightRemovedFromTheDeploymentIsRefusedClearly() async throws {
        let config = try CommandLineRunner.repositoryConfig.replacingOccurrences(
            of:
                "  erasure:                    # 5.3\n    grounds: [purpose-achieved, service-ended, consent-withdrawn, unlawful-processing, other-law]\n",
            with: "")
        #expect(!config.contains("  erasure:"), "the fixture removed the erasure section")
        let cli = try CommandLineRunner(config: config, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "20").status == 0)
        let refused = try await cli.run(
            "submit", "--right", "erasure", "--subject", "email:user1@example.cn", "--param", "ground=consent-withdrawn")
        #expect(refused.status == 5)
        #expect(refused.errors.contains("the right 'erasure' is not enabled in this deployment"))
        let modules = try #require(try cli.json(try await cli.run("modules", "--json")) as? [[String: Any]])
        #expect(modules.first { $0["identifier"] as? String == "erasure" }?["enabled"] as? Bool == false)
    }

    @Test func theFirstCommandOfTheReadmeRunsARequestEndToEnd() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        let result = try await cli.run("demo", "run")
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("seeded the sample database"))
        #expect(result.output.contains("state:     completed"))
        #expect(result.output.contains("audit chain intact"))
    }
}
