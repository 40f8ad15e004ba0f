import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import RightsStore
import RightsTesting
import Testing

/// SIGTERM with requests in flight: the server stops within its grace period, and after a
/// restart every request is finished exactly once. The same with SIGKILL in the middle of an
/// erasure's effect, where the restarted server's sweep finishes what the dead one claimed.
@Suite("rightskit serve: shutdown and crash with requests in flight", .serialized)
struct ServeShutdownTests {
    static let grace = 3

    @Test("SIGTERM while 50 requests are in flight; restarted, each finishes exactly once")
    func sigtermWithFiftyInFlight() async throws {
        try await fiftyInFlight(executable: "rightskit", environment: [:]) { server in
            let stopped = await server.stop(SIGTERM)
            #expect(stopped < .seconds(Self.grace + 2), "stopped in \(stopped), grace \(Self.grace) s")
        }
    }

    @Test("SIGKILL at the 20th erasure's effect while 50 are in flight; restarted, each finishes exactly once")
    func crashWithFiftyInFlight() async throws {
        try await fiftyInFlight(executable: "rightskit-testbed", environment: ["RIGHTSKIT_CRASH_AT": "erasure.erase:effect#20"]) { server in
            #expect(await server.waitForExit(seconds: 30), "the crash point killed the server")
            #expect(server.process.terminationReason == .uncaughtSignal)
        }
    }

    func fiftyInFlight(executable: String, environment: [String: String], stop: (ServedDeployment) async -> Void) async throws {
        let config = try ServedDeployment.repositoryConfig(
            server: "  shutdown_grace_seconds: \(Self.grace)\n  background: { sweep_seconds: 1 }\n"
        )
        .replacingOccurrences(of: "processing: { lease_seconds: 300,", with: "processing: { lease_seconds: 5,")
        let server = try await ServedDeployment(config: config, executable: executable, environment: environment)
        let subjects = (101...150).map { SampleBusinessDatabase.email($0) }
        var filed: [(id: String, secret: String)] = []
        for subject in subjects {
            let request = try await server.file("erasure", subject: "email:\(subject)", parameters: ["ground": "consent-withdrawn"])
            #expect(request.reply.status == 201, "\(request.reply.text)")
            filed.append((request.id, request.secret))
        }
        let ledger = try DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite"))
        var codes: [String: String] = [:]
        for request in filed {
            let body = try await ledger.read { db in
                try String.fetchOne(
                    db, sql: "SELECT body FROM outbox WHERE request_id = ? AND kind = 'verification-code' ORDER BY id DESC LIMIT 1",
                    arguments: [request.id])
            }
            codes[request.id] = RightsTestHarness.code(in: body ?? "")
        }
        let port = server.port

        // All 50 answers at once; SIGTERM lands while they are being carried out.
        async let answers = Self.answerAll(filed, codes: codes, port: port)
        try await Task.sleep(for: .milliseconds(40))
        await stop(server)
        let statuses = await answers
        let inFlightStates = try await ledger.read { db in
            try String.fetchAll(db, sql: "SELECT state FROM requests")
        }
        let unfinished = inFlightStates.filter { !["completed", "partiallyCompleted"].contains($0) }.count
        Issue.record(
            Comment(rawValue: "when stopped: \(statuses.values.filter { $0 == 200 }.count) answered, \(unfinished) of 50 unfinished"),
            severity: .warning)

        // Restarted: the sweep finishes what was cut off; the subjects whose answer never
        // arrived send it again, as a client would.
        try await server.restart()
        for request in filed where statuses[request.id] != 200 {
            let retried = try await server.call(
                .POST, "/v1/requests/\(request.id)/verification", json: ["code": codes[request.id] ?? ""],
                headers: ["X-Request-Secret": request.secret])
            #expect([200, 409].contains(retried.status), "\(retried.text)")
        }
        let ids = filed.map(\.id)
        let deadline = Date().addingTimeInterval(60)
        var finished = 0
        while Date() < deadline {
            finished = try await ledger.read { db in
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM requests WHERE state IN ('completed', 'partiallyCompleted') AND id IN (\(ids.map { "'\($0)'" }.joined(separator: ",")))"
                ) ?? 0
            }
            if finished == 50 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(finished == 50)
        await server.stop()

        // Plain SQL on the organisation's database: every subject erased, each request journalled once.
        let sample = try DatabaseQueue(path: server.runner.directory.file("data/sample-business.sqlite"))
        let left = try await sample.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts WHERE email IN (\(subjects.map { "'\($0)'" }.joined(separator: ",")))")
        }
        #expect(left == 0)
        let journalled = try await sample.read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT COUNT(DISTINCT request_id) FROM rightskit_journal WHERE request_id IN (\(ids.map { "'\($0)'" }.joined(separator: ",")))"
            )
        }
        #expect(journalled == 50)
        // One outcome message each.
        let outcomes = try await ledger.read { db in
            try Row.fetchAll(db, sql: "SELECT request_id, COUNT(*) AS n FROM outbox WHERE kind = 'outcome' GROUP BY request_id").map {
                ($0["request_id"] as String, $0["n"] as Int)
            }
        }
        #expect(outcomes.count == 50)
        #expect(outcomes.allSatisfy { $0.1 == 1 }, "\(outcomes.filter { $0.1 != 1 })")
        #expect(try await server.runner.run("audit", "verify").status == 0)
    }

    /// Sends every request's code at once, one connection each, so all 50 are at the server
    /// together; returns each one's HTTP status (0 when the connection was refused or cut).
    static func answerAll(_ filed: [(id: String, secret: String)], codes: [String: String], port: Int) async -> [String: Int] {
        await ServeClusterTests.answerAll(filed.map { ($0.id, $0.secret) }, codes: codes, ports: [port], connectionsPerServer: 64)
    }
}
