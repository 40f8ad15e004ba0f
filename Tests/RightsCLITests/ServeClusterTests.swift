import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import RightsStore
import RightsTesting
import Testing

/// Three `rightskit serve` instances on one PostgreSQL ledger, clients spread across them:
/// 1,000 erasures filed and verified at once while one instance is killed with SIGKILL and
/// restarted. Each request is carried out exactly once, the chain verifies, no claim is left.
/// The organisation's data is in PostgreSQL too (`demo seed --postgres`), or in a SQLite file
/// the three share.
@Suite("rightskit serve: three instances on one PostgreSQL ledger", .serialized)
struct ServeClusterTests {
    static let requests = 1_000

    enum Organisation: String, CaseIterable { case postgres, sqlite }

    @Test(
        "1,000 erasures over three instances, one killed mid-load and restarted: each done exactly once", arguments: Organisation.allCases)
    func threeInstancesOneKilled(organisation: Organisation) async throws {
        let postgres = try TestPostgres.shared.get()
        let database = try postgres.database()
        var config = try ServedDeployment.repositoryConfig(server: "  background: { sweep_seconds: 1, deliver_seconds: 1 }\n")
            .replacingOccurrences(
                of: "store: { driver: sqlite, path: data/rightskit.sqlite }", with: "store: { driver: postgres, url: \"\(database)\" }"
            )
            .replacingOccurrences(of: "processing: { lease_seconds: 300,", with: "processing: { lease_seconds: 10,")
        let directory = try TemporaryDirectory(prefix: "rightskit-cluster")
        var business: String?
        if organisation == .postgres {
            // The organisation's database on PostgreSQL, seeded by the CLI.
            let url = try postgres.database()
            business = url
            config = config.replacingOccurrences(
                of: "      driver: sqlite\n      path: data/sample-business.sqlite\n",
                with: "      driver: postgres\n      url: \"\(url)\"\n")
            try config.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
            let seeded = try await CommandLineRunner(directory: directory, executable: "rightskit").run("demo", "seed", "--postgres", url)
            #expect(seeded.status == 0, "\(seeded.errors)")
        } else {
            try config.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        }
        // The first instance seeds a SQLite sample when it is missing; the others join it.
        let first = try await ServedDeployment(runner: CommandLineRunner(directory: directory, executable: "rightskit"))
        let others = [try await ServedDeployment(runner: first.runner), try await ServedDeployment(runner: first.runner)]
        let servers = [first] + others

        // Filed round-robin, 32 at a time.
        let subjects = (1...Self.requests).map { SampleBusinessDatabase.email($0) }
        let filed = try await Self.inParallel(Array(subjects.enumerated()), width: 32) { index, subject in
            let reply = try await servers[index % 3].file(
                "erasure", subject: "email:\(subject)", parameters: ["ground": "consent-withdrawn"])
            #expect(reply.reply.status == 201, "\(reply.reply.text)")
            return (reply.id, reply.secret)
        }
        let codes = try Self.codes(database: database, postgres: postgres)
        #expect(codes.count == Self.requests)

        // Every answer at once over 64 connections across the three; instance 2 dies mid-load.
        let ports = servers.map(\.port)
        let answering = ContinuousClock.now
        async let answers = Self.answerAll(filed, codes: codes, ports: ports)
        try await Task.sleep(for: .milliseconds(700))
        await others[0].stop(SIGKILL)
        let statuses = await answers
        let cut = statuses.values.filter { $0 != 200 }.count
        let byStatus = Dictionary(grouping: statuses.values, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }
        Issue.record(Comment(rawValue: "answers by status when instance 2 was killed: \(byStatus)"), severity: .warning)
        #expect(cut > 0, "the kill landed while requests were in flight")
        try await others[0].restart()

        // The clients that got no answer send it again to the next instance.
        _ = try await Self.inParallel(filed.filter { statuses[$0.0] != 200 }.enumerated().map { $0 }, width: 16) { index, request in
            let retried = try await servers[index % 3].call(
                .POST, "/v1/requests/\(request.0)/verification", json: ["code": codes[request.0] ?? ""],
                headers: ["X-Request-Secret": request.1])
            #expect([200, 409].contains(retried.status), "\(retried.text)")
            return retried.status
        }
        let deadline = Date().addingTimeInterval(180)
        var finished = 0
        while Date() < deadline {
            finished =
                Int(
                    try postgres.query("SELECT COUNT(*) FROM requests WHERE state IN ('completed', 'partiallyCompleted')", on: database)
                        .first ?? "") ?? 0
            if finished == Self.requests { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(finished == Self.requests)
        Issue.record(
            Comment(
                rawValue:
                    "organisation on \(organisation.rawValue): all \(finished) completed \(ContinuousClock.now - answering) after the answers began"
            ), severity: .warning)
        for server in servers { await server.stop() }

        // Plain SQL: every subject erased in the organisation's database, each request journalled
        // there once; one outcome message each; no claim left; the chain verifies.
        let emails: [String]
        let journalled: Int?
        if let business {
            emails = try postgres.query("SELECT email FROM accounts WHERE email IS NOT NULL", on: business)
            journalled = Int(try postgres.query("SELECT COUNT(DISTINCT request_id) FROM rightskit_journal", on: business).first ?? "")
        } else {
            let sample = try DatabaseQueue(path: first.runner.directory.file("data/sample-business.sqlite"))
            emails = try await sample.read { db in try String.fetchAll(db, sql: "SELECT email FROM accounts WHERE email IS NOT NULL") }
            journalled = try await sample.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT request_id) FROM rightskit_journal")
            }
        }
        #expect(emails.count == 1_000, "the accounts stay, their emails replaced by keyed hashes")
        #expect(Set(emails).isDisjoint(with: subjects))
        #expect(journalled == Self.requests)
        let outcomes = try postgres.query("SELECT COUNT(*), COUNT(DISTINCT request_id) FROM outbox WHERE kind = 'outcome'", on: database)
        #expect(outcomes == ["\(Self.requests)|\(Self.requests)"])
        #expect(try postgres.query("SELECT COUNT(*) FROM requests WHERE claim_owner IS NOT NULL", on: database) == ["0"])
        #expect(try postgres.query("SELECT COUNT(*) FROM requests", on: database) == ["\(Self.requests)"])
        let verified = try await first.runner.run("audit", "verify")
        #expect(verified.status == 0, "\(verified.output) \(verified.errors)")
    }

    /// The newest verification code of every request, read with SQL from the shared ledger.
    static func codes(database: String, postgres: TestPostgres) throws -> [String: String] {
        var codes: [String: String] = [:]
        for line in try postgres.query("SELECT request_id, body FROM outbox WHERE kind = 'verification-code' ORDER BY id", on: database) {
            let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
            if parts.count == 2 { codes[parts[0]] = RightsTestHarness.code(in: parts[1]) }
        }
        return codes
    }

    /// Runs `body` over `items`, at most `width` at once, keeping the order of `items`.
    static func inParallel<Item: Sendable, Result: Sendable>(
        _ items: [Item], width: Int, _ body: @escaping @Sendable (Item) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results: [Int: Result] = [:]
            var next = 0
            for _ in 0..<min(width, items.count) {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, try await body(items[index])) }
                    next += 1
                }
            }
            return (0..<items.count).compactMap { results[$0] }
        }
    }

    /// Sends every request's code at once, round-robin over `ports`; returns each one's HTTP
    /// status (0 when the connection was refused or cut).
    static func answerAll(_ filed: [(String, String)], codes: [String: String], ports: [Int], connectionsPerServer: Int = 24) async
        -> [String: Int]
    {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerServer
        // Queued requests wait for a connection as long as the slowest answer takes.
        configuration.timeout.connect = .seconds(60)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let statuses = await withTaskGroup(of: (String, Int).self, returning: [String: Int].self) { group in
            for (index, request) in filed.enumerated() {
                var call = HTTPClientRequest(url: "http://127.0.0.1:\(ports[index % ports.count])/v1/requests/\(request.0)/verification")
                call.method = .POST
                call.headers.add(name: "Content-Type", value: "application/json")
                call.headers.add(name: "X-Request-Secret", value: request.1)
                call.body = .bytes(Array(#"{"code":"\#(codes[request.0] ?? "")"}"#.utf8))
                let prepared = call
                let id = request.0
                group.addTask {
                    do {
                        return (id, Int(try await client.execute(prepared, timeout: .seconds(60)).status.code))
                    } catch {
                        return (id, 0)
                    }
                }
            }
            var statuses: [String: Int] = [:]
            for await (id, status) in group { statuses[id] = status }
            return statuses
        }
        try? await client.shutdown()
        return statuses
    }
}
