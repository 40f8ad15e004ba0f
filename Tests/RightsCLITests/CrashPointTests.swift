import Foundation
import GRDB
import RightsTesting
import Testing

/// For every right: one request run cleanly records the crash points it passes; then, for each
/// of those points in turn, the same request on a fresh copy of the deployment is killed there
/// (SIGKILL), `resume` runs, and the rest of the request continues. The organisation's
/// database, the outbox and the outcome must come out exactly as in the clean run: each side
/// effect once, one outcome message, and the audit chain intact.
@Suite("A request killed at every named crash point, then resumed, has each effect once")
struct CrashPointTests {
    /// One request as a subject and an operator drive it.
    struct Scenario: Sendable, CustomStringConvertible {
        var right: String
        var submit: [String]
        var approve = false
        var description: String { right }
    }

    static let ends = Date().addingTimeInterval(20 * 86_400).formatted(.iso8601.year().month().day())

    static let scenarios: [Scenario] = [
        Scenario(right: "access", submit: ["--subject", "email:user1@example.cn"]),
        Scenario(
            right: "correction",
            submit: ["--subject", "email:user2@example.cn", "--param", "field=user.contact.phone", "--param", "value=+8613912345678"]),
        Scenario(right: "erasure", submit: ["--subject", "email:user4@example.cn", "--param", "ground=consent-withdrawn"]),
        Scenario(right: "consent-withdrawal", submit: ["--subject", "email:user7@example.cn", "--param", "purpose=all"]),
        Scenario(right: "account-cancellation", submit: ["--subject", "email:user8@example.cn", "--param", "confirm=irreversible"]),
        Scenario(right: "portability", submit: ["--subject", "email:user10@example.cn", "--param", "mode=copy"], approve: true),
        Scenario(
            right: "discontinuation-notice",
            submit: ["--subject", "product:bos", "--requester", "operator", "--reference", "board-2026-11", "--param", "ends=\(ends)"]),
        Scenario(right: "explanation", submit: ["--subject", "email:user11@example.cn"]),
        Scenario(right: "post-mortem", submit: ["--subject", "email:user13@example.cn", "--param", "deny=delete"]),
    ]

    /// A crash point as one process of the scenario reaches it: the process (0 submit, 1 verify,
    /// 2 approve), the point's name and which arrival at it within that process.
    struct Point: Hashable {
        var process: Int
        var name: String
        var arrival: Int
    }

    /// The deployment with its sample database seeded once; each run starts from a copy.
    static func template() async throws -> TemporaryDirectory {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig)
        let seeded = try await cli.run("demo", "seed", "--subjects", "30")
        guard seeded.status == 0 else { throw CommandLineError(message: seeded.errors) }
        // The ledger too, so every copy keys subjects with the same secret (step names hold keys).
        _ = try await cli.run("requests")
        return cli.directory
    }

    static func fresh(from template: TemporaryDirectory) throws -> CommandLineRunner {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig)
        try FileManager.default.copyItem(atPath: template.file("data"), toPath: cli.directory.file("data"))
        return cli
    }

    /// Runs the scenario's processes from `first` on; the process numbered `crash.process` gets
    /// the environment that kills it. Returns the process that was killed, if any.
    static func drive(_ scenario: Scenario, _ cli: CommandLineRunner, from first: Int = 0, environment: (Int) -> [String: String])
        async throws -> Int?
    {
        let processes = scenario.approve ? 3 : 2
        for index in first..<processes {
            let arguments: [String]
            switch index {
            case 0: arguments = ["submit", "--right", scenario.right] + scenario.submit
            case 1:
                let id = try await requestID(cli)
                guard try await state(cli, id) == "awaitingVerification" else { continue }
                arguments = ["verify", id, "--code", try await cli.code(for: id)]
            default:
                let id = try await requestID(cli)
                guard try await state(cli, id) == "awaitingReview" else { continue }
                arguments = ["approve", id, "--operator", "id-desk"]
            }
            let (process, _, err) = try await cli.start(arguments, environment: environment(index))
            await CommandLineRunner.waitForExit(process)
            if process.terminationReason == .uncaughtSignal { return index }
            guard process.terminationStatus == 0 else {
                throw CommandLineError(message: "\(arguments[0]) failed: \((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
            }
        }
        return nil
    }

    static func requestID(_ cli: CommandLineRunner) async throws -> String {
        let requests = try cli.json(try await cli.run("requests", "--json")) as? [[String: Any]] ?? []
        guard requests.count == 1, let id = requests[0]["id"] as? String else {
            throw CommandLineError(message: "expected one request, found \(requests.count)")
        }
        return id
    }

    static func state(_ cli: CommandLineRunner, _ id: String) async throws -> String {
        (try cli.json(try await cli.run("status", id, "--json")) as? [String: Any])?["state"] as? String ?? "?"
    }

    /// What the request left behind, read with plain SQL: the organisation's rows (times that
    /// differ between runs reduced to present/absent), RightsKit's tables there, the messages
    /// per kind and recipient, and the request's final state and outcome.
    static func snapshot(_ cli: CommandLineRunner) async throws -> [String] {
        let business = try DatabaseQueue(path: cli.directory.file("data/sample-business.sqlite"))
        var lines = try await business.read { db in
            var lines: [String] = []
            for table in [
                "accounts", "third_party_logins", "login_devices", "orders", "transactions", "activated_services", "support_tickets",
            ] {
                lines += try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid").map { "\(table) \($0)" }
            }
            lines += try Row.fetchAll(db, sql: "SELECT id, account_id, purpose, withdrawn_at IS NOT NULL FROM consents ORDER BY id").map {
                "consents \($0)"
            }
            if try db.tableExists("rightskit_restrictions") {
                lines += try Row.fetchAll(
                    db,
                    sql:
                        "SELECT table_name, row_key, columns, basis, lifts_at FROM rightskit_restrictions ORDER BY table_name, row_key, columns"
                ).map { "restriction \($0)" }
                lines.append("journal rows \(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rightskit_journal") ?? 0)")
                lines.append("progress rows \(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rightskit_progress") ?? 0)")
            }
            if try db.tableExists("rightskit_discontinued_products") {
                lines += try Row.fetchAll(db, sql: "SELECT product, collection_stops_at FROM rightskit_discontinued_products").map {
                    "discontinued \($0)"
                }
            }
            return lines
        }
        let ledger = try DatabaseQueue(path: cli.directory.file("data/rightskit.sqlite"))
        lines += try await ledger.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT kind, recipient_value, COUNT(*) AS sent FROM outbox GROUP BY kind, recipient_value ORDER BY kind, recipient_value"
            ).map { "outbox \($0)" }
        }
        let id = try await requestID(cli)
        let request = try cli.json(try await cli.run("status", id, "--json")) as? [String: Any] ?? [:]
        let outcome = request["outcome"] as? [String: Any]
        lines.append(
            "state \(request["state"] as? String ?? "?") outcome \(outcome?["status"] as? String ?? "-") \(outcome?["message"] as? String ?? "-")"
        )
        return lines
    }

    @Test(arguments: scenarios)
    func everyCrashPointResumesToTheSameResult(_ scenario: Scenario) async throws {
        let template = try await Self.template()

        // The clean run: which points each process passes, and what it leaves behind.
        let reference = try Self.fresh(from: template)
        let traces = (0..<3).map { reference.directory.file("trace-\($0).log") }
        _ = try await Self.drive(scenario, reference) { ["RIGHTSKIT_CRASH_TRACE": traces[$0]] }
        let expected = try await Self.snapshot(reference)
        var points: [Point] = []
        for (process, trace) in traces.enumerated() {
            var arrivals: [String: Int] = [:]
            for name in ((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) {
                arrivals[name, default: 0] += 1
                points.append(Point(process: process, name: name, arrival: arrivals[name] ?? 1))
            }
        }
        #expect(points.contains { $0.name.hasPrefix("commit:") }, "the run passed commit points")
        #expect(points.contains { $0.name.hasSuffix(":effect") } || scenario.right == "post-mortem", "the run passed step points")

        for point in points {
            let cli = try Self.fresh(from: template)
            let killed = try await Self.drive(scenario, cli) { process in
                process == point.process ? ["RIGHTSKIT_CRASH_AT": "\(point.name)#\(point.arrival)"] : [:]
            }
            #expect(killed == point.process, "\(point.name) killed process \(point.process)")
            let resumed = try await cli.run("resume")
            #expect(resumed.status == 0, "\(point.name): resume failed: \(resumed.errors)")
            if let killed { _ = try await Self.drive(scenario, cli, from: killed + 1) { _ in [:] } }
            let actual = try await Self.snapshot(cli)
            let difference = Set(actual).symmetricDifference(expected).sorted()
            #expect(
                difference.isEmpty && actual.count == expected.count, "killed at \(point.name)#\(point.arrival): \(difference.prefix(6))")
            #expect(try await cli.run("audit", "verify").status == 0, "audit chain after a kill at \(point.name)")
        }
    }
}
