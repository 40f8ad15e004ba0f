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

    @Test("SIGTERM while 50 requests are in flight on a PostgreSQL ledger: pools closed last; restarted, each finishes exactly once")
    func sigtermWithFiftyInFlightOnPostgres() async throws {
        try await fiftyInFlight(executable: "rightskit", environment: ["RIGHTSKIT_LOG_LEVEL": "info"], ledger: .postgres) { server in
            let stopped = await server.stop(SIGTERM)
            #expect(stopped < .seconds(Self.grace + 2), "stopped in \(stopped), grace \(Self.grace) s")
            // The pools were closed by the service group, after the work in flight, not cut by the exit.
            let log = (try? String(contentsOf: server.errors, encoding: .utf8)) ?? ""
            #expect(log.contains("database connections closed"), "\(log.suffix(2_000))")
        }
    }

    @Test("SIGKILL at the 20th erasure's effect while 50 are in flight; restarted, each finishes exactly once")
    func crashWithFiftyInFlight() async throws {
        try await fiftyInFlight(executable: "rightskit-testbed", environment: ["RIGHTSKIT_CRASH_AT": "erasure.erase:effect#20"]) { server in
            #expect(await server.waitForExit(seconds: 30), "the crash point killed the server")
            #expect(server.process.terminationReason == .uncaughtSignal)
        }
    }

    func fiftyInFlight(
        executable: String, environment: [String: String], ledger driver: LedgerDriver = .sqlite, stop: (ServedDeployment) async -> Void
    ) async throws {
        var config = try ServedDeployment.repositoryConfig(
            server: "  shutdown_grace_seconds: \(Self.grace)\n  background: { sweep_seconds: 1 }\n"
        )
        .replacingOccurrences(of: "processing: { lease_seconds: 300,", with: "processing: { lease_seconds: 5,")
        var postgresURL: String?
        if driver == .postgres {
            let url = try TestPostgres.shared.get().database()
            postgresURL = url
            config = config.replacingOccurrences(
                of: "store: { driver: sqlite, path: data/rightskit.sqlite }", with: "store: { driver: postgres, url: \"\(url)\" }")
        }
        let server = try await ServedDeployment(config: config, executable: executable, environment: environment)
        let subjects = (101...150).map { SampleBusinessDatabase.email($0) }
        var filed: [(id: String, secret: String)] = []
        for subject in subjects {
            let request = try await server.file("erasure", subject: "email:\(subject)", parameters: ["ground": "consent-withdrawn"])
            #expect(request.reply.status == 201, "\(request.reply.text)")
            filed.append((request.id, request.secret))
        }
        let ledger = try LedgerReader(server: server, postgres: postgresURL)
        var codes: [String: String] = [:]
        for request in filed {
            let body = try await ledger.strings(
                "SELECT body FROM outbox WHERE request_id = '\(request.id)' AND kind = 'verification-code' ORDER BY id DESC LIMIT 1"
            ).first
            codes[request.id] = RightsTestHarness.code(in: body ?? "")
        }
        let port = server.port

        // All 50 answers at once; SIGTERM lands while they are being carried out.
        async let answers = Self.answerAll(filed, codes: codes, port: port)
        try await Task.sleep(for: .milliseconds(40))
        await stop(server)
        let statuses = await answers
        let inFlightStates = try await ledger.strings("SELECT state FROM requests")
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
            finished =
                try await ledger.strings(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM requests WHERE state IN ('completed', 'partiallyCompleted') AND id IN (\(ids.map { "'\($0)'" }.joined(separator: ",")))"
                ).first.flatMap { Int($0) } ?? 0
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
        let outcomes = try await ledger.strings(
            "SELECT request_id || '|' || COUNT(*) FROM outbox WHERE kind = 'outcome' GROUP BY request_id"
        ).map { line in
            let parts = line.split(separator: "|")
            return (String(parts.first ?? ""), Int(parts.last ?? "") ?? 0)
        }
        #expect(outcomes.count == 50)
        #expect(outcomes.allSatisfy { $0.1 == 1 }, "\(outcomes.filter { $0.1 != 1 })")
        #expect(try await server.runner.run("audit", "verify").status == 0)
    }

    /// Reads the ledger with plain SQL, as an operator would, whichever database holds it: each
    /// row's columns joined by `|`.
    struct LedgerReader {
        let sqlite: DatabaseQueue?
        let postgres: String?

        init(server: ServedDeployment, postgres: String?) throws {
            self.postgres = postgres
            sqlite = postgres == nil ? try DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite")) : nil
        }

        func strings(_ sql: String) async throws -> [String] {
            if let postgres { return try TestPostgres.shared.get().query(sql, on: postgres) }
            guard let sqlite else { return [] }
            return try await sqlite.read { db in try String.fetchAll(db, sql: sql) }
        }
    }

    /// Sends every request's code at once, one connection each, so all 50 are at the server
    /// together; returns each one's HTTP status (0 when the connection was refused or cut).
    static func answerAll(_ filed: [(id: String, secret: String)], codes: [String: String], port: Int) async -> [String: Int] {
        await ServeClusterTests.answerAll(filed.map { ($0.id, $0.secret) }, codes: codes, ports: [port], connectionsPerServer: 64)
    }
}
