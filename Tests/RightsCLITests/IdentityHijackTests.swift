import Foundation
import RightsStore
import RightsTesting
import Testing

/// Issue 8's attack, replayed for every right through the shipped CLI: someone who knows a
/// person's email tries to have the person's code sent to themselves.
@Suite("Codes go only where the subject already is")
struct IdentityHijackTests {
    static let attacker = "attacker@evil.example"
    /// Each right that a subject files, with the parameters of a request an attacker would want.
    static let rights: [(right: String, parameters: [String])] = [
        ("access", []),
        ("correction", ["--param", "field=user.contact.phone", "--param", "value=+8613912345678"]),
        ("erasure", ["--param", "ground=consent-withdrawn"]),
        ("consent-withdrawal", ["--param", "purpose=all"]),
        ("account-cancellation", ["--param", "confirm=irreversible"]),
        ("portability", ["--param", "mode=copy"]),
        ("explanation", []),
        ("post-mortem", ["--param", "deny=delete"]),
    ]

    func outbox(_ cli: CommandLineRunner) async throws -> [(kind: String, recipient: String, body: String)] {
        let entries = try #require(try cli.json(try await cli.run("outbox", "--json")) as? [[String: Any]])
        return entries.compactMap { entry in
            guard let message = entry["message"] as? [String: Any], let recipient = message["recipient"] as? [String: Any] else {
                return nil
            }
            return (message["kind"] as? String ?? "", recipient["value"] as? String ?? "", message["body"] as? String ?? "")
        }
    }

    func requestCount(_ cli: CommandLineRunner) async throws -> Int {
        try #require(try cli.json(try await cli.run("requests", "--json")) as? [Any]).count
    }

    @Test func anAttackersContactNeverReceivesTheSubjectsCode() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        for (index, (right, parameters)) in Self.rights.enumerated() {
            let victim = "user\(index + 1)@example.cn"
            // As "the subject", with the attacker's address as contact: refused, nothing recorded.
            let before = try await requestCount(cli)
            let hijack = try await cli.run(
                ["submit", "--right", right, "--subject", "email:\(victim)", "--contact", "email:\(Self.attacker)"] + parameters)
            #expect(hijack.status == 64, "\(right): \(hijack.errors)")
            #expect(hijack.errors.contains("contact: a subject is reached only at their own contact on file"), "\(right): \(hijack.errors)")
            #expect(try await requestCount(cli) == before, "\(right): the refused filing recorded nothing")

            // As an agent giving the attacker's address: the code goes to the subject.
            let asAgent = try await cli.run(
                [
                    "submit", "--right", right, "--subject", "email:\(victim)", "--requester", "agent",
                    "--contact", "email:\(Self.attacker)", "--reference", "agent-7", "--json",
                ] + parameters)
            if right == "post-mortem" || right == "account-cancellation" {
                #expect(
                    asAgent.status == 5 && asAgent.errors.contains("cannot be filed by the requester role agent"),
                    "\(right): \(asAgent.errors)")
                continue
            }
            #expect(asAgent.status == 0, "\(right): \(asAgent.errors)")
            let filed = try #require(try cli.json(asAgent) as? [String: Any])
            #expect(filed["state"] as? String == "awaitingVerification", "\(right): waits for the subject's code")
            let codes = try await outbox(cli).filter { $0.kind == "verification-code" && $0.body.contains(filed["id"] as? String ?? "-") }
            #expect(codes.map(\.recipient) == [victim], "\(right): only the subject receives the code")
        }
        let all = try await outbox(cli)
        #expect(!all.contains { $0.recipient == Self.attacker }, "the attacker's address received nothing")
        #expect(all.filter { $0.kind == "verification-code" }.count == Self.rights.count - 2)
    }

    @Test func aSubjectNamedByUserIDIsReachedAtTheContactOnFileAndANonCustomerLooksTheSame() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let customer = try await cli.run("submit", "--right", "access", "--subject", "user_id:\(SampleBusinessDatabase.userID(3))")
        let stranger = try await cli.run("submit", "--right", "access", "--subject", "user_id:u9999999")
        #expect(customer.status == 0 && stranger.status == 0, "\(customer.errors) \(stranger.errors)")
        // The same words either way, apart from the request id.
        let shape = { (text: String) in
            text.replacingOccurrences(of: #"[0-9A-F]{8}-[0-9A-F-]{27}"#, with: "ID", options: [.regularExpression, .caseInsensitive])
                .replacingOccurrences(of: #"received: +\S+"#, with: "received", options: .regularExpression)
        }
        #expect(shape(customer.output) == shape(stranger.output))
        let sent = try await outbox(cli)
        #expect(sent.map(\.recipient) == [SampleBusinessDatabase.email(3)])
    }

    @Test func aCloseRelativeConfirmsTheirOwnContactThenWaitsForAnOperatorsReviewOfTheProofs() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let relative = try await cli.run(
            "submit", "--right", "post-mortem", "--subject", "email:user4@example.cn", "--requester", "close-relative",
            "--contact", "email:relative@example.cn", "--reference", "household-register-9", "--param", "action=access",
            "--param", "death_proof=death-cert-001", "--param", "relationship_proof=household-register-9",
            "--param", "interest=settling the estate", "--json")
        #expect(relative.status == 0, "\(relative.errors)")
        let filed = try #require(try cli.json(relative) as? [String: Any])
        #expect(filed["state"] as? String == "awaitingVerification", "the relative's own contact is confirmed first")
        let sent = try await outbox(cli)
        #expect(sent.map(\.kind) == ["verification-code"] && sent.map(\.recipient) == ["relative@example.cn"], "no code to the deceased")
        let id = try #require(filed["id"] as? String)
        let confirmed = try await cli.run("verify", id, "--code", try #require(RightsTestHarness.code(in: sent[0].body)), "--json")
        #expect((try cli.json(confirmed) as? [String: Any])?["state"] as? String == "awaitingReview", "\(confirmed.errors)")
        let approved = try await cli.run("approve", id, "--json")
        #expect(approved.status == 0, "\(approved.errors)")
        let done = try #require(try cli.json(approved) as? [String: Any])
        #expect(done["state"] as? String == "completed")
        #expect(done["verification"] as? String == "strong")
        let all = try await outbox(cli)
        #expect(all.filter { $0.kind == "outcome" }.map(\.recipient) == ["relative@example.cn"], "the outcome goes to the relative")
        #expect(!all.contains { $0.recipient.contains("user4") }, "nothing to the deceased: \(all.map { ($0.kind, $0.recipient) })")
    }

    @Test func aRelativesFilingWithoutItsCodeNeverReachesReviewAndCloses() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let relative = try await cli.run(
            "submit", "--at", "2027-03-01T10:00", "--right", "post-mortem", "--subject", "email:user5@example.cn", "--requester",
            "close-relative", "--contact", "email:someone@example.cn", "--reference", "household-register-9", "--param", "action=delete",
            "--param", "death_proof=death-cert-001", "--param", "relationship_proof=household-register-9", "--param",
            "interest=settling the estate", "--json")
        let id = try #require((try cli.json(relative) as? [String: Any])?["id"] as? String, "\(relative.errors)")
        let queue = try #require(try cli.json(try await cli.run("requests", "--state", "awaitingReview", "--json")) as? [Any])
        #expect(queue.isEmpty, "nothing for operators until the relative answers")
        // A relative filing with no contact of their own is refused outright.
        let noContact = try await cli.run(
            "submit", "--right", "post-mortem", "--subject", "email:user5@example.cn", "--requester", "close-relative", "--reference",
            "household-register-9", "--param", "action=delete", "--param", "death_proof=d", "--param", "relationship_proof=r", "--param",
            "interest=i")
        #expect(noContact.status == 64 && noContact.errors.contains("contact"), "\(noContact.errors)")
        // Two days on, the sweep closes it like a subject's unconfirmed filing.
        #expect(try await cli.run("resume", "--at", "2027-03-03T10:00").status == 0)
        let status = try #require(try cli.json(try await cli.run("status", id, "--json")) as? [String: Any])
        #expect(status["state"] as? String == "denied")
    }
}
