import Foundation
import RightsTesting
import Testing

/// Minimisation to the end: a final request keeps no requester reference, and messages nobody
/// delivered lose their recipient and text after `services.notifier.undelivered_days`.
@Suite("Minimisation to the end")
struct MinimisationTests {
    @Test func aFinishedRelativesRequestKeepsNoReferenceAndUndeliveredMessagesAreMinimised() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let filed = try await cli.run(
            "submit", "--at", "2027-03-01T10:00", "--right", "post-mortem", "--subject", "email:user4@example.cn", "--requester",
            "close-relative", "--contact", "email:relative@example.cn", "--reference", "household-register-9", "--param",
            "action=access", "--param", "death_proof=death-cert-001", "--param", "relationship_proof=household-register-9", "--param",
            "interest=settling the estate", "--json")
        let id = try #require((try cli.json(filed) as? [String: Any])?["id"] as? String, "\(filed.errors)")
        // The relative never answers: two days on the sweep closes it.
        #expect(try await cli.run("resume", "--at", "2027-03-03T10:00").status == 0)
        let status = try #require(try cli.json(try await cli.run("status", id, "--json")) as? [String: Any])
        #expect(status["state"] as? String == "denied")
        #expect(!"\(status)".contains("household-register-9"), "no requester reference once final: \(status)")
        #expect(!"\(status)".contains("relative@example.cn"))

        // Nobody delivers the outbox (the default notifier): the messages keep their text for
        // 30 days, then only kind, time and a recipient hash stay.
        let before = try await cli.run("outbox", "--json")
        #expect(before.output.contains("relative@example.cn"), "queued and not yet due for minimisation")
        #expect(try await cli.run("resume", "--at", "2027-04-05T10:00").status == 0)
        let after = try await cli.run("outbox", "--json")
        #expect(!after.output.contains("relative@example.cn"), "\(after.output)")
        let messages = try #require(try cli.json(after) as? [[String: Any]])
        #expect(!messages.isEmpty && messages.allSatisfy { $0["minimised"] as? Bool == true })
    }
}
