import Crypto
import Foundation
import GRDB
import NIOHTTP1
import RightsTesting
import Testing

/// An authorised agent as DRP 1.0 describes one, written from the specification and sharing no
/// code with the server: it signs its envelopes with its own Ed25519 key (Base64 of the 64-byte
/// signature followed by the JSON, libsodium's combined mode) and speaks only HTTP.
struct DRPAgent {
    let id: String
    let key = Curve25519.Signing.PrivateKey()
    var business = "EXAMPLE_CLOUD"

    /// The verify key as the DRP directory publishes it.
    var verifyKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// The four claims every envelope carries (§3.07), valid for the next five minutes.
    func envelopeClaims(issued: Date = Date().addingTimeInterval(-5), expires: Date = Date().addingTimeInterval(300)) -> [String: Any] {
        ["agent-id": id, "business-id": business, "issued-at": Self.time(issued), "expires-at": Self.time(expires), "drp.version": "1.0"]
    }

    /// A signed body: Base64 of signature ‖ JSON.
    func signed(_ claims: [String: Any], signer: Curve25519.Signing.PrivateKey? = nil) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: claims)
        let signature = try (signer ?? key).signature(for: json)
        return Data((signature + json).base64EncodedString().utf8)
    }

    func pair(on server: ServedDeployment, path: String? = nil, claims: [String: Any]? = nil, signer: Curve25519.Signing.PrivateKey? = nil)
        async throws -> ServedDeployment.Reply
    {
        try await server.call(
            .POST, path ?? "/drp/v1/agent/\(id)", body: try signed(claims ?? envelopeClaims(), signer: signer),
            headers: ["Content-Type": "text/plain"])
    }

    /// Pairs and returns the pairwise token.
    func token(on server: ServedDeployment) async throws -> String {
        let reply = try await pair(on: server)
        return try #require(reply.json["token"] as? String, "\(reply.status) \(reply.text)")
    }

    func exercise(
        _ action: String, email: String, token: String, on server: ServedDeployment, extra: [String: Any] = [:],
        signer: Curve25519.Signing.PrivateKey? = nil, path: String = "/drp/v1/data-rights-request"
    ) async throws -> ServedDeployment.Reply {
        var claims = envelopeClaims().merging(["exercise": action, "regime": "ccpa", "email": email, "email_verified": true]) { $1 }
        claims.merge(extra) { $1 }
        return try await server.call(
            .POST, path, body: try signed(claims, signer: signer),
            headers: ["Content-Type": "text/plain", "Authorization": "Bearer \(token)"])
    }
}

@Suite("The Data Rights Protocol 1.0: authorised agents pair, file, follow and revoke")
struct DataRightsProtocolTests {
    static func config(_ agents: [DRPAgent], callbacks: Int? = nil) throws -> String {
        let entries = agents.map { agent in
            let allowed =
                callbacks.map { ", callbacks: [http://127.0.0.1:\($0)/], callback_secret_env: \(RecipientServer.secretEnvironment)" } ?? ""
            return "      \(agent.id): { verify_key: \(agent.verifyKey)\(allowed) }"
        }
        _ = RecipientServer.secret
        return try ServedDeployment.repositoryConfig(server: "  background: { deliver_seconds: 1 }\n")
            + """

            standards:
              public_url: http://127.0.0.1
              drp:
                business_id: EXAMPLE_CLOUD
                agents:
            \(entries.joined(separator: "\n"))

            """
    }

    func requests(_ server: ServedDeployment) throws -> Int {
        try DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite")).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") ?? -1
        }
    }

    @Test func anAgentPairsWithASignedRequestAndItsTokenIsItsAlone() async throws {
        let agent = DRPAgent(id: "TRUSTED_AGENT")
        let other = DRPAgent(id: "OTHER_AGENT")
        let server = try await ServedDeployment(config: try Self.config([agent, other]))
        let paired = try await agent.pair(on: server)
        #expect(paired.status == 200, "\(paired.text)")
        #expect(paired.json["agent-id"] as? String == agent.id)
        let token = try #require(paired.json["token"] as? String)
        #expect(paired.headers["cache-control"] == "no-store")

        let check = try await server.call(.GET, "/drp/v1/agent/\(agent.id)", headers: ["Authorization": "Bearer \(token)"])
        #expect(check.status == 200 && check.text == "{}")
        let someoneElse = try await server.call(.GET, "/drp/v1/agent/\(other.id)", headers: ["Authorization": "Bearer \(token)"])
        #expect(someoneElse.status == 403, "a token answers only for its own agent")

        // Every failed pairing is 403 with no body (§2.05.1).
        let forged = try await agent.pair(on: server, signer: Curve25519.Signing.PrivateKey())
        let otherPath = try await agent.pair(on: server, path: "/drp/v1/agent/\(other.id)")
        let stranger = try await DRPAgent(id: "UNKNOWN_AGENT").pair(on: server)
        var wrongBusiness = agent.envelopeClaims()
        wrongBusiness["business-id"] = "SOMEONE_ELSE"
        let elsewhere = try await agent.pair(on: server, claims: wrongBusiness)
        let stale = try await agent.pair(
            on: server, claims: agent.envelopeClaims(issued: Date().addingTimeInterval(-900), expires: Date().addingTimeInterval(-300)))
        for refused in [forged, otherPath, stranger, elsewhere, stale] {
            #expect(refused.status == 403 && refused.body.isEmpty, "\(refused.status) \(refused.text)")
        }

        // Pairing again replaces the token: the old one stops working at once, without a restart.
        let renewed = try await agent.token(on: server)
        let old = try await server.call(.GET, "/drp/v1/agent/\(agent.id)", headers: ["Authorization": "Bearer \(token)"])
        #expect(old.status == 403)
        let fresh = try await server.call(.GET, "/drp/v1/agent/\(agent.id)", headers: ["Authorization": "Bearer \(renewed)"])
        #expect(fresh.status == 200)
        // An agent's token opens nothing of the operators'.
        let admin = try await server.call(.GET, "/v1/admin/requests", headers: ["Authorization": "Bearer \(renewed)"])
        #expect(admin.status == 403)
    }

    @Test func everyRefusalTheSpecificationNamesIsAnsweredInItsShapeAndFilesNothing() async throws {
        let agent = DRPAgent(id: "TRUSTED_AGENT")
        let other = DRPAgent(id: "OTHER_AGENT")
        let server = try await ServedDeployment(config: try Self.config([agent, other]))
        let token = try await agent.token(on: server)
        let email = "user21@example.cn"

        let unsigned = try await server.call(
            .POST, "/drp/v1/data-rights-request", body: Data("bm90IHNpZ25lZA==".utf8), headers: ["Authorization": "Bearer \(token)"])
        let noToken = try await server.call(.POST, "/drp/v1/data-rights-request", body: try agent.signed(agent.envelopeClaims()))
        let forged = try await agent.exercise("access", email: email, token: token, on: server, signer: Curve25519.Signing.PrivateKey())
        let asAnother = try await agent.exercise("access", email: email, token: token, on: server, extra: ["agent-id": other.id])
        let elsewhere = try await agent.exercise("access", email: email, token: token, on: server, extra: ["business-id": "SOMEONE_ELSE"])
        let early = try await agent.exercise(
            "access", email: email, token: token, on: server, extra: ["issued-at": DRPAgent.time(Date().addingTimeInterval(600))])
        let expired = try await agent.exercise(
            "access", email: email, token: token, on: server, extra: ["expires-at": DRPAgent.time(Date().addingTimeInterval(-1))])
        let uncovered = try await agent.exercise("sale:opt-in", email: email, token: token, on: server)
        let noOptOut = try await agent.exercise("sale:opt-out", email: email, token: token, on: server)
        let strangeCallback = try await agent.exercise(
            "access", email: email, token: token, on: server, extra: ["status_callback": "https://attacker.example/collect"])
        let noIdentity = try await agent.exercise("access", email: "", token: token, on: server)

        let expected: [(ServedDeployment.Reply, Int, String)] = [
            (unsigned, 400, "not Base64"), (noToken, 401, "Bearer"), (forged, 403, "signature"), (asAnother, 403, "agent-id"),
            (elsewhere, 403, "business-id"), (early, 400, "issued-at"), (expired, 400, "expired"), (uncovered, 400, "claim_not_covered"),
            (noOptOut, 400, "claim_not_covered"), (strangeCallback, 400, "status_callback"), (noIdentity, 400, "no_match"),
        ]
        for (reply, status, words) in expected {
            #expect(reply.status == status, "\(words): \(reply.status) \(reply.text)")
            #expect(reply.json["code"] as? String == "\(status)", "§3.06: the code as a string")
            #expect((reply.json["message"] as? String)?.contains(words) == true, "\(reply.text)")
            #expect(!reply.text.contains(email) && !reply.text.contains("attacker"), "nothing the agent sent is echoed")
        }
        #expect(try requests(server) == 0, "no refused envelope filed anything")

        // A request is only ever shown to the agent that filed it.
        let filed = try await agent.exercise("access", email: email, token: token, on: server, path: "/drp/v1/data-rights-request/")
        let id = try #require(filed.json["request_id"] as? String, "\(filed.text)")
        let otherToken = try await other.token(on: server)
        let peek = try await server.call(.GET, "/drp/v1/data-rights-request/\(id)", headers: ["Authorization": "Bearer \(otherToken)"])
        #expect(peek.status == 403 && peek.json["code"] as? String == "403")
        let unknown = try await server.call(
            .GET, "/drp/v1/data-rights-request/\(UUID().uuidString.lowercased())", headers: ["Authorization": "Bearer \(token)"])
        #expect(unknown.status == 404 && unknown.json["code"] as? String == "404")
    }

    @Test func aDeletionWaitsForThePersonsOwnConfirmationAndEveryChangeIsPostedBackOnce() async throws {
        let receiver = try await RecipientServer(failures: 2)
        let agent = DRPAgent(id: "TRUSTED_AGENT")
        let server = try await ServedDeployment(config: try Self.config([agent], callbacks: receiver.port))
        let token = try await agent.token(on: server)
        let filed = try await agent.exercise(
            "deletion", email: "user22@example.cn", token: token, on: server,
            extra: ["agent-request-id": "agent-ref-22", "status_callback": "http://127.0.0.1:\(receiver.port)/drp/status"])
        #expect(filed.status == 200, "\(filed.text)")
        let id = try #require(filed.json["request_id"] as? String)
        #expect(filed.json["status"] as? String == "in_progress" && filed.json["reason"] as? String == "need_user_verification")
        #expect(filed.json["agent_request_id"] as? String == "agent-ref-22")
        #expect(filed.json["received_at"] != nil && filed.json["expected_by"] != nil)
        // Sent again (an answer lost on the way): the same request, not a second one.
        let again = try await agent.exercise(
            "deletion", email: "user22@example.cn", token: token, on: server,
            extra: ["agent-request-id": "agent-ref-22", "status_callback": "http://127.0.0.1:\(receiver.port)/drp/status"])
        #expect(again.status == 200 && again.json["request_id"] as? String == filed.json["request_id"] as? String)
        #expect(try requests(server) == 1, "filed once")
        let confirmAt = try #require(filed.json["user_verification_url"] as? String)
        #expect(confirmAt == "http://127.0.0.1/requests/\(id)/confirm", "the privacy centre's code step for this request")

        // The person opens it (the agent adds redirect_to and request_id), with no secret.
        let back = "http://127.0.0.1:\(receiver.port)/done"
        let query = "?request_id=\(id)&redirect_to=\(back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        let page = try await server.call(.GET, "/requests/\(id)/confirm\(query)")
        #expect(page.status == 200 && page.text.contains("TRUSTED_AGENT") && page.text.contains("name=\"code\""))
        #expect(!page.text.contains("user22@example.cn"), "the page shows nothing of the person")
        let csrf = try #require(PrivacyCentreTests.cookie(page.headers["set-cookie"], named: "rightskit-form")).value
        let confirmed = try await server.call(
            .POST, "/requests/\(id)/confirm",
            body: PrivacyCentreTests.form([("csrf", csrf), ("redirect_to", back), ("code", try await server.code(for: id))]),
            headers: PrivacyCentreTests.formType.merging(["Cookie": "rightskit-form=\(csrf)"]) { $1 })
        #expect(confirmed.text.contains("id=\"confirmed\"") && confirmed.text.contains("href=\"\(back)\""), "\(confirmed.text)")

        let status = try await server.call(.GET, "/drp/v1/data-rights-request/\(id)/", headers: ["Authorization": "Bearer \(token)"])
        #expect(status.json["status"] as? String == "fulfilled", "\(status.text)")

        // Each change reached the agent, signed, once, after the receiver's two failures.
        var statuses: [String] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            statuses = receiver.received.compactMap {
                (try? JSONSerialization.jsonObject(with: $0) as? [String: Any])?["status"] as? String
            }
            if statuses.last == "fulfilled" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(statuses.first == "in_progress" && statuses.last == "fulfilled", "\(statuses)")
        #expect(receiver.attempts == statuses.count + 2, "the first two attempts failed and were tried again")
        let bodies = receiver.received.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        #expect(bodies.allSatisfy { $0["request_id"] as? String == id && $0["agent_request_id"] as? String == "agent-ref-22" })
        #expect(receiver.refusals.isEmpty, "every callback was signed")
        let ids = receiver.receivedHeaders.compactMap { $0["webhook-id"] }
        #expect(Set(ids).count == ids.count, "no change delivered twice")

        // Operators see where it came from.
        let operatorToken = try await server.token("operator", name: "ana")
        let queue = try await server.call(.GET, "/v1/admin/requests/\(id)", headers: ["Authorization": "Bearer \(operatorToken)"])
        #expect((queue.json["request"] as? [String: Any] ?? queue.json)["channel"] as? String == "drp:TRUSTED_AGENT", "\(queue.text)")
    }

    @Test func anAgentRevokesARequestThatHasNotStarted() async throws {
        let agent = DRPAgent(id: "TRUSTED_AGENT")
        let server = try await ServedDeployment(config: try Self.config([agent]))
        let token = try await agent.token(on: server)
        let filed = try await agent.exercise("access", email: "user23@example.cn", token: token, on: server)
        let id = try #require(filed.json["request_id"] as? String)
        let unsigned = try await server.call(
            .DELETE, "/drp/v1/data-rights-request/\(id)", body: Data("{\"reason\":\"x\"}".utf8),
            headers: ["Authorization": "Bearer \(token)"])
        #expect(unsigned.status == 400 && unsigned.json["fatal"] as? Bool == true)
        let revoked = try await server.call(
            .DELETE, "/drp/v1/data-rights-request/\(id)", body: try agent.signed(["reason": "I changed my mind"]),
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/plain"])
        #expect(revoked.status == 200 && revoked.json["status"] as? String == "revoked", "\(revoked.text)")
        let again = try await server.call(
            .DELETE, "/drp/v1/data-rights-request/\(id)", body: try agent.signed(["reason": "again"]),
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/plain"])
        #expect(again.status == 409 && again.json["code"] as? String == "409", "\(again.text)")
        let state = try await DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite")).read { db in
            try String.fetchOne(db, sql: "SELECT state FROM requests WHERE id = ?", arguments: [id])
        }
        #expect(state == "cancelled")
    }

    @Test func aKeyReplacedOrAnAgentRemovedInTheFileTakesEffectWithoutARestart() async throws {
        let agent = DRPAgent(id: "TRUSTED_AGENT")
        let server = try await ServedDeployment(config: try Self.config([agent]))
        let token = try await agent.token(on: server)
        let file = server.runner.directory.file("config.yaml")
        let original = try String(contentsOfFile: file, encoding: .utf8)

        // The agent's key was compromised: the directory now lists a new one.
        let renewed = DRPAgent(id: "TRUSTED_AGENT")
        try original.replacingOccurrences(of: agent.verifyKey, with: renewed.verifyKey).write(
            toFile: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(1_200))
        let old = try await server.call(.GET, "/drp/v1/agent/\(agent.id)", headers: ["Authorization": "Bearer \(token)"])
        #expect(old.status == 403, "the token paired under the old key is revoked")
        #expect(try await agent.pair(on: server).status == 403, "the old key pairs no more")
        let fresh = try await renewed.token(on: server)

        // A mistake while editing keeps what is in force.
        try "standards: [".write(toFile: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(1_200))
        let kept = try await server.call(.GET, "/drp/v1/agent/\(agent.id)", headers: ["Authorization": "Bearer \(fresh)"])
        #expect(kept.status == 200)

        // The agent is removed: its token stops at once.
        let withoutAgents = original.components(separatedBy: "\nstandards:")[0]
        try withoutAgents.write(toFile: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(1_200))
        let gone = try await server.call(.GET, "/drp/v1/agent/\(agent.id)", headers: ["Authorization": "Bearer \(fresh)"])
        #expect(gone.status == 403)
    }

    @Test func anExtensionMovesExpectedByAndSaysWhyAndItsTellsTheAgent() async throws {
        let agent = DRPAgent(id: "TRUSTED_AGENT")
        let server = try await ServedDeployment(config: try Self.config([agent]))
        let token = try await agent.token(on: server)
        let filed = try await agent.exercise("access", email: "user24@example.cn", token: token, on: server)
        let id = try #require(filed.json["request_id"] as? String)
        let before = try #require(filed.json["expected_by"] as? String)
        let operatorToken = try await server.token("operator", name: "ana")
        let extended = try await server.call(
            .POST, "/v1/admin/requests/\(id)/extend", json: ["reason": "records are held in three systems"],
            headers: ["Authorization": "Bearer \(operatorToken)"])
        #expect(extended.status == 200, "\(extended.text)")
        let status = try await server.call(.GET, "/drp/v1/data-rights-request/\(id)", headers: ["Authorization": "Bearer \(token)"])
        let after = try #require(status.json["expected_by"] as? String)
        #expect(after > before, "§3.08: expected_by follows the extension")
        #expect((status.json["processing_details"] as? String)?.contains("records are held in three systems") == true, "\(status.text)")
    }

    @Test func aMistakeInTheStandardsSectionIsALocatedErrorThatNeverRepeatsAKey() async throws {
        let agent = DRPAgent(id: "TRUSTED_AGENT")
        let broken = try Self.config([agent]).replacingOccurrences(of: agent.verifyKey, with: "c2VjcmV0LWJ1dC1zaG9ydA==")
        let runner = try CommandLineRunner(directory: TemporaryDirectory(prefix: "drp-config"), executable: "rightskit")
        try Self.config([agent]).write(toFile: runner.directory.file("config.yaml"), atomically: true, encoding: .utf8)
        #expect(try await runner.run("demo", "seed", "--config", "config.yaml").status == 0)
        #expect(try await runner.run("check-config", "--config", "config.yaml").status == 0)
        try broken.write(toFile: runner.directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let checked = try await runner.run("check-config", "--config", "config.yaml")
        #expect(checked.status != 0)
        #expect(checked.errors.contains("standards.drp.agents.TRUSTED_AGENT.verify_key"), "\(checked.errors)")
        #expect(checked.errors.contains("config.yaml:"), "the file and line")
        #expect(!checked.errors.contains("c2VjcmV0LWJ1dC1zaG9ydA=="), "the key is never repeated")
        let stray = try Self.config([agent]).replacingOccurrences(of: "business_id: EXAMPLE_CLOUD", with: "busines_id: EXAMPLE_CLOUD")
        try stray.write(toFile: runner.directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let misspelt = try await runner.run("check-config", "--config", "config.yaml")
        #expect(misspelt.status != 0 && misspelt.errors.contains("standards.drp"), "\(misspelt.errors)")
        // A right the mapping names but the deployment does not enable is caught at load, too.
        let unmapped = try Self.config([agent]).replacingOccurrences(
            of: "    business_id: EXAMPLE_CLOUD", with: "    business_id: EXAMPLE_CLOUD\n    actions: { deletion: { right: erasre } }")
        try unmapped.write(toFile: runner.directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let typo = try await runner.run("check-config", "--config", "config.yaml")
        #expect(typo.status != 0 && typo.errors.contains("standards.drp.actions.deletion.right"), "\(typo.errors)")
        #expect(typo.errors.contains("'erasre'") && typo.errors.contains("erasure"), "\(typo.errors)")
    }
}
