import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// The work `rightskit serve` does by itself, rehearsed with `--at`: nobody types `sweep`.
@Suite("rightskit serve: background services under the simulated clock")
struct ServeBackgroundTests {
    static let quick = "  background: { sweep_seconds: 1, deliver_seconds: 1, reminder_seconds: 1 }\n"

    /// Waits until `condition` holds (up to `seconds`); false when it never did.
    func eventually(_ seconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    func seeded(server: String = quick) async throws -> CommandLineRunner {
        let directory = try TemporaryDirectory(prefix: "rightskit-serve-bg")
        try ServedDeployment.repositoryConfig(server: server).write(
            toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let cli = try CommandLineRunner(directory: directory, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        return cli
    }

    /// The organisation's database as its own application reads it while the server writes:
    /// waiting on a busy lock as any host would.
    func hostDatabase(_ cli: CommandLineRunner) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: cli.directory.file("data/sample-business.sqlite"), configuration: configuration)
    }

    func json(_ cli: CommandLineRunner, _ arguments: [String]) async throws -> [String: Any] {
        let result = try await cli.run(arguments + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.errors)")
        return try #require(try cli.json(result) as? [String: Any], "\(arguments): \(result.output)")
    }

    @Test("a discontinuation erases on its end date with nobody typing sweep")
    func discontinuation() async throws {
        let cli = try await seeded()
        let filed = try await json(
            cli,
            [
                "submit", "--at", "2027-01-04", "--right", "discontinuation-notice", "--subject", "product:bos",
                "--requester", "operator", "--reference", "board-2026-11", "--param", "ends=2027-01-31",
            ])
        let id = try #require(filed["id"] as? String)
        let sample = try hostDatabase(cli)
        func remaining() async throws -> Int {
            try await sample.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activated_services WHERE product = 'bos'") ?? -1 }
        }
        #expect(try await remaining() > 0)
        // The day before: the server's sweep leaves it waiting.
        let early = try await ServedDeployment(runner: cli, arguments: ["--at", "2027-01-30T23:58"])
        try await Task.sleep(for: .seconds(2))
        #expect(try await remaining() > 0)
        await early.stop()
        let server = try await ServedDeployment(runner: cli, arguments: ["--at", "2027-01-31T00:05"])
        #expect(try await eventually { try await remaining() == 0 }, "erased by the server's own sweep")
        await server.stop()
        #expect(["completed", "partiallyCompleted"].contains(try await json(cli, ["status", id])["state"] as? String ?? ""))
    }

    @Test("a row whose retention lifted is erased by the server on the anniversary")
    func liftedRestriction() async throws {
        let cli = try await seeded()
        let sample = try hostDatabase(cli)
        let account = try #require(
            try await sample.read { db in
                try Int.fetchOne(db, sql: "SELECT account_id FROM orders WHERE created_at >= '2024-06-01' ORDER BY account_id LIMIT 1")
            })
        let filed = try await json(
            cli,
            [
                "submit", "--at", "2027-02-01", "--right", "erasure", "--subject", "email:\(SampleBusinessDatabase.email(account))",
                "--param", "ground=consent-withdrawn",
            ])
        let id = try #require(filed["id"] as? String)
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        let body = try #require(
            outbox.compactMap { $0["message"] as? [String: Any] }.last { $0["kind"] as? String == "verification-code" }?["body"] as? String)
        #expect(
            try await json(cli, ["verify", id, "--at", "2027-02-01", "--code", try #require(RightsTestHarness.code(in: body))])["state"]
                as? String == "partiallyCompleted")
        let earliest = try sample.read { db in
            try Row.fetchOne(
                db, sql: "SELECT row_key, lifts_at FROM rightskit_restrictions WHERE table_name = 'orders' ORDER BY lifts_at LIMIT 1")
        }
        let first = try #require(earliest)
        let orderKey: String = first["row_key"]
        let lifts = Date(timeIntervalSince1970: first["lifts_at"])
        func kept() async throws -> Int {
            try await sample.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE id = ?", arguments: [orderKey]) ?? -1
            }
        }
        let server = try await ServedDeployment(runner: cli, arguments: ["--at", Timestamp.string(lifts.addingTimeInterval(60))])
        #expect(try await eventually { try await kept() == 0 }, "erased by the server's sweep once its period ran out")
        await server.stop()
    }

    @Test("operators are reminded before a deadline, and told once it is overdue, once each")
    func reminders() async throws {
        let cli = try await seeded(server: Self.quick + "  reminders: { days_before: 3, to: 'email:privacy@example.cn' }\n")
        // A copy waits for the identity desk: an operator must act before its deadline.
        let filed = try await json(
            cli, ["submit", "--at", "2027-01-04", "--right", "portability", "--subject", "email:user3@example.cn", "--param", "mode=copy"])
        let id = try #require(filed["id"] as? String)
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        let body = try #require(
            outbox.compactMap { $0["message"] as? [String: Any] }.last { $0["kind"] as? String == "verification-code" }?["body"] as? String)
        let verified = try await json(cli, ["verify", id, "--at", "2027-01-04", "--code", try #require(RightsTestHarness.code(in: body))])
        #expect(verified["state"] as? String == "awaitingReview")
        let dueText = try #require(verified["dueAt"] as? String)
        let due = try #require(Timestamp.date(dueText))
        func notices(_ kind: String) async throws -> [[String: Any]] {
            let messages = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
            return messages.compactMap { $0["message"] as? [String: Any] }.filter { $0["kind"] as? String == kind }
        }
        // Four days before: nothing yet.
        var server = try await ServedDeployment(runner: cli, arguments: ["--at", Timestamp.string(due.addingTimeInterval(-4 * 86_400))])
        try await Task.sleep(for: .seconds(2))
        #expect(try await notices("deadline-reminder").isEmpty)
        await server.stop()
        // Two days before: one reminder, to the operators, saying nothing about the subject.
        server = try await ServedDeployment(runner: cli, arguments: ["--at", Timestamp.string(due.addingTimeInterval(-2 * 86_400))])
        #expect(try await eventually { try await notices("deadline-reminder").count == 1 })
        try await Task.sleep(for: .seconds(2))
        await server.stop()
        let reminder = try #require(try await notices("deadline-reminder").first)
        #expect((reminder["recipient"] as? [String: Any])?["value"] as? String == "privacy@example.cn")
        #expect((reminder["body"] as? String ?? "").contains(id))
        #expect(!(reminder["body"] as? String ?? "").contains("user3"))
        // After the deadline: one overdue notice, however often the reminders run.
        server = try await ServedDeployment(runner: cli, arguments: ["--at", Timestamp.string(due.addingTimeInterval(86_400))])
        #expect(try await eventually { try await notices("deadline-overdue").count == 1 })
        try await Task.sleep(for: .seconds(2))
        await server.stop()
        #expect(try await notices("deadline-reminder").count == 1)
        #expect(try await notices("deadline-overdue").count == 1)
        let audited = try await DatabaseQueue(path: cli.directory.file("data/rightskit.sqlite")).read { db in
            try String.fetchAll(db, sql: "SELECT action FROM audit_entries WHERE action LIKE 'deadline.%' ORDER BY seq")
        }
        #expect(audited == ["deadline.reminded", "deadline.overdue"])
    }

    @Test("a webhook without its signing secret is refused at start, naming the key")
    func webhookWithoutSecret() async throws {
        let delivery = """
              delivery:
                driver: webhook
                webhook: { url: 'https://notify.example.cn/rights', secret_env: RIGHTSKIT_TEST_UNSET_WEBHOOK_SECRET }
            """
        let cli = try CommandLineRunner(config: try ServedDeployment.repositoryConfig(server: delivery + "\n"), executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let refused = try await cli.run("serve", "--port", "0")
        #expect(refused.status == 3, "\(refused.errors)")
        #expect(
            refused.errors.contains("secret_env") && refused.errors.contains("RIGHTSKIT_TEST_UNSET_WEBHOOK_SECRET is not set"),
            "\(refused.errors)")
    }

    @Test("a webhook that fails twice receives the message once, on the third try")
    func webhookRetries() async throws {
        let webhook = try await RecipientServer(failures: 2)
        let delivery = """
              delivery:
                driver: webhook
                webhook: { url: 'http://127.0.0.1:\(webhook.port)/messages', allow_loopback_http: true, attempts: 3, backoff_ms: 50, secret_env: \(RecipientServer.secretEnvironment) }
            """
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig(server: Self.quick + delivery + "\n"))
        let filed = try await server.file("access", subject: "email:user9@example.cn")
        #expect(filed.reply.status == 201)
        #expect(try await eventually { webhook.received.count == 1 })
        try await Task.sleep(for: .seconds(1.5))
        #expect(webhook.attempts == 3, "two failures, then the delivery")
        #expect(webhook.received.count == 1, "delivered once")
        let received = try #require(webhook.received.first)
        let payload = try #require(try JSONSerialization.jsonObject(with: received) as? [String: Any])
        #expect(payload["kind"] as? String == "verification-code")
        #expect(payload["request"] as? String == filed.id)
        #expect((payload["recipient"] as? [String: Any])?["value"] as? String == "user9@example.cn")
        // Signed in the Standard Webhooks form, which the receiver checked; a replay of what it
        // received, or the same with the body altered, is refused and received nothing.
        #expect(webhook.refusals.isEmpty, "every attempt was signed: \(webhook.refusals)")
        let headers = try #require(webhook.receivedHeaders.first)
        #expect(headers["webhook-id"] == "rightskit-\(try #require(payload["id"] as? Int))")
        #expect(headers["webhook-signature"]?.hasPrefix("v1,") == true)
        func post(_ body: Data) async throws -> Int {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(webhook.port)/messages")
            request.method = .POST
            for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
                request.headers.add(name: name, value: headers[name] ?? "")
            }
            request.body = .bytes(ByteBuffer(data: body))
            return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
        }
        #expect(try await post(received) == 409, "a replay")
        #expect(try await post(received + Data(" ".utf8)) == 401, "an altered body")
        #expect(webhook.received.count == 1 && webhook.refusals == [409, 401])
        // Delivered, the outbox keeps kind and time only.
        let token = try await server.token("operator", name: "desk")
        let outbox = try await server.call(.GET, "/v1/admin/outbox?request=\(filed.id)", headers: ["Authorization": "Bearer \(token)"])
        let entry = try #require((outbox.json["messages"] as? [[String: Any]])?.first)
        #expect(entry["delivered"] as? Bool == true)
        #expect(entry["minimised"] as? Bool == true)
        let metrics = try await server.call(.GET, "/metrics")
        #expect(metrics.text.contains("rightskit_delivery_failures_total 2"))
    }
}
