import Foundation
import NIOHTTP1
import RightsTesting
import Testing

/// One person's codes cannot be guessed by filing again, and nobody but the person spends
/// their filing allowance: driven over real HTTP against `rightskit serve` on the sample
/// deployment (subject 5: `user5@example.cn`, `+8613000000005`, user id `u0000005`).
@Suite("A guessing budget per person, and a filing quota only the person spends")
struct GuessingBudgetTests {
    static let identities = ["email:user5@example.cn", "phone:+8613000000005", "user_id:u0000005"]

    /// The repository's deployment with client rate limits out of the way, so only the
    /// per-person counts are under test; `intake` replaces the intake line when given.
    static func config(intake: String? = nil) throws -> String {
        var config = try CommandLineRunner.repositoryConfig
        if let intake {
            config = config.replacingOccurrences(
                of: "  intake: { window_minutes: 60, filings: 20, resends: 5, resend_cooldown_seconds: 60 }", with: "  intake: \(intake)")
        }
        return config + "\nserver:\n  rate_limits: { filings_per_minute: 100000, code_attempts_per_minute: 100000 }\n"
    }

    static func wrong(_ code: String) -> String { code == "00000000" ? "11111111" : "00000000" }

    @Test func twoHundredRefilingsAcrossThePersonsIdentitiesSpendOneBudgetAndTellThemOnce() async throws {
        let server = try await ServedDeployment(
            config: try Self.config(intake: "{ window_minutes: 60, filings: 1000, codes_per_contact: 1000, resends: 5 }"))
        var checked = 0
        var spent = 0
        for index in 0..<200 {
            let filed = try await server.file("access", subject: Self.identities[index % 3])
            #expect(filed.reply.status == 201, "filing \(index): \(filed.reply.text)")
            let code = try await server.code(for: filed.id)
            let answer = try await server.call(
                .POST, "/v1/requests/\(filed.id)/verification", json: ["code": Self.wrong(code)],
                headers: ["X-Request-Secret": filed.secret])
            switch answer.status {
            case 422: checked += 1
            case 429:
                spent += 1
                #expect(answer.headers["retry-after"] != nil, "\(answer.headers)")
            default: Issue.record("filing \(index): unexpected \(answer.status) \(answer.text)")
            }
        }
        // The tenth wrong answer spends the budget (it is counted, then refused as a limit).
        #expect(checked == 9, "ten wrong answers a day per person, whichever identity was filed")
        #expect(spent == 191)
        // Even the right code is refused for the rest of the window, on any identity.
        for subject in Self.identities {
            let filed = try await server.file("access", subject: subject)
            #expect(filed.reply.status == 201)
            let right = try await server.verify(filed.id, secret: filed.secret)
            #expect(right.status == 429 && right.problem == "rate_limited", "\(subject): \(right.text)")
            let status = try await server.call(.GET, "/v1/requests/\(filed.id)", headers: ["X-Request-Secret": filed.secret])
            #expect(status.json["state"] as? String == "awaitingVerification", "\(status.text)")
        }
        // The person is told once, at their own contact.
        let outbox = try await server.runner.run("outbox", "--json")
        let messages = (try JSONSerialization.jsonObject(with: Data(outbox.output.utf8)) as? [[String: Any]] ?? [])
            .compactMap { $0["message"] as? [String: Any] }
        let alerts = messages.filter { $0["kind"] as? String == "guessing-alert" }
        #expect(alerts.count == 1, "\(alerts)")
        #expect((alerts.first?["recipient"] as? [String: Any])?["value"] as? String == "user5@example.cn")
        // Operators see it in the request's audit trail.
        let token = try await server.token("operator", name: "desk")
        let queue = try await server.call(.GET, "/v1/admin/requests", headers: ["Authorization": "Bearer \(token)"])
        let ids = (queue.json["requests"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "denied" }.compactMap {
            $0["id"] as? String
        }
        var budgetEntries = 0
        for id in ids {
            let trail = try await server.call(.GET, "/v1/admin/requests/\(id)", headers: ["Authorization": "Bearer \(token)"])
            budgetEntries +=
                (trail.json["audit"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "identity.guessing-budget-spent" }
                .count
        }
        #expect(budgetEntries == 1)
        // Another person's code still works.
        let other = try await server.file("access", subject: "email:user6@example.cn")
        #expect(try await server.verify(other.id, secret: other.secret).status == 200)
    }

    @Test func twentyUnconfirmedFilingsByOthersLeaveThePersonsOwnFilingAccepted() async throws {
        let server = try await ServedDeployment(config: try Self.config())
        for index in 0..<20 {
            let decoy = try await server.file("access", subject: Self.identities[index % 3])
            #expect(decoy.reply.status == 201, "\(decoy.reply.text)")
        }
        for subject in Self.identities {
            let own = try await server.file("access", subject: subject)
            #expect(own.reply.status == 201, "\(subject): \(own.reply.text)")
            #expect(try await server.verify(own.id, secret: own.secret).status == 200)
        }
    }

    @Test func codesToOneContactStopAtTheCapWhoeverFiles() async throws {
        let server = try await ServedDeployment(
            config: try Self.config(intake: "{ window_minutes: 60, filings: 1000, codes_per_contact: 30 }"))
        var accepted = 0
        for index in 0..<100 {
            let filed = try await server.file("access", subject: index.isMultiple(of: 2) ? "email:user7@example.cn" : "user_id:u0000007")
            if filed.reply.status == 201 {
                accepted += 1
            } else {
                #expect(filed.reply.status == 429 && filed.reply.problem == "rate_limited")
            }
        }
        #expect(accepted == 30)
        let outbox = try await server.runner.run("outbox", "--json")
        let codes = (try JSONSerialization.jsonObject(with: Data(outbox.output.utf8)) as? [[String: Any]] ?? [])
            .compactMap { $0["message"] as? [String: Any] }.filter { $0["kind"] as? String == "verification-code" }
        #expect(codes.count == 30, "at most the cap queued for one contact")
    }

    @Test func textsToARunOfNumbersInOneBlockStopAtTheBlocksCap() async throws {
        let server = try await ServedDeployment(
            config: try Self.config(intake: "{ window_minutes: 60, filings: 1000, codes_per_contact: 30, codes_per_phone_block: 10 }"))
        var statuses: [Int] = []
        for index in 0..<15 {
            // Fifteen different numbers of one block (+86 17 00 …), as a toll-fraud run would use.
            statuses.append(try await server.file("access", subject: "phone:+861700000\(String(format: "%04d", index))").reply.status)
        }
        #expect(statuses.filter { $0 == 201 }.count == 10 && statuses.suffix(5).allSatisfy { $0 == 429 }, "\(statuses)")
        // Another block is not affected.
        #expect(try await server.file("access", subject: "phone:+8618100000001").reply.status == 201)
    }

    @Test func checkConfigPrintsTheBoundAndRefusesSettingsAboveTheCeiling() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let checked = try await cli.run("check-config")
        #expect(checked.status == 0, "\(checked.errors)")
        #expect(checked.output.contains("codes of 8 digits, 10 wrong answers a day per person"), "\(checked.output)")
        let json = try #require(try cli.json(try await cli.run("check-config", "--json")) as? [String: Any])
        let chance = try #require(json["guessingChancePerYear"] as? Double)
        #expect(chance > 0 && chance <= 1e-4, "the defaults keep a year's guessing below 1 in 10,000")

        let loose = try CommandLineRunner(
            config: try CommandLineRunner.repositoryConfig.replacingOccurrences(
                of: "identity: { code_ttl_seconds: 600, max_attempts: 3 }",
                with: "identity: { code_ttl_seconds: 600, max_attempts: 3, code_digits: 6, failures_per_day: 50 }"),
            executable: "rightskit")
        let refused = try await loose.run("check-config")
        #expect(refused.status != 0)
        #expect(refused.errors.contains("config.yaml:13") && refused.errors.contains("failures_per_day"), "\(refused.errors)")
        #expect(refused.errors.contains("1 in 54"), "the error says the chance: \(refused.errors)")
    }
}
