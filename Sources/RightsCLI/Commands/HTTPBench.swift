import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RightsExport
import RightsKernel
import RightsPostgres
import RightsStore

/// `rightskit bench --http`: filed-and-verified access requests through a `rightskit serve`
/// subprocess over loopback, from concurrent clients, beside the same requests run in-process
/// through the pipeline in the same run (the baseline).
struct HTTPBench {
    let directory: String
    let subjects: Int
    let requests: Int
    let clients: Int
    /// The served side's ledger on this PostgreSQL database instead of SQLite.
    var postgres: PostgresLocation? = nil
    /// How many `serve` instances share it (clients round-robin over them).
    var instances = 1

    struct Report: Encodable {
        var requests: Int
        var clients: Int
        /// Where the served side's ledger was: sqlite or postgres.
        var store: String
        var instances: Int
        var http: Side
        var inProcess: Side
        /// HTTP requests per second over in-process requests per second.
        var throughputRatio: Double
        var serverCPUMillisecondsPerRequest: Double
        var serverPeakResidentMiB: Double
        var serverReadyMilliseconds: Double
    }

    struct Side: Encodable {
        var requestsPerSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The deployment both sides run: the sample database, access behind a one-time code.
    func config(ledger: String, database: String, vault: String) -> String {
        """
        deployment: { name: bench-http, jurisdiction: CN-PIPL }
        policy: { deadline: { days: 15 } }
        services:
          store: \(ledger)
          intake: { filings: 10000, resends: 1000 }
        data_map:
        \(SampleBusinessDatabase.dataMap(database: database, vault: vault))
        rights: { access: { output: exports, verification: code } }
        server:
          rate_limits: { filings_per_minute: 1000000, code_attempts_per_minute: 1000000 }
        """
    }

    func run(registry: ModuleRegistry) async throws -> Report {
        guard let access = registry.module("access") else { throw Failure(description: "bench --http needs the access module") }
        let database = directory + "/business.sqlite"
        let vault = directory + "/vault.sqlite"
        guard subjects >= 2 * requests + 200 else { throw Failure(description: "--subjects must be at least twice --requests plus 200") }
        if !FileManager.default.fileExists(atPath: database) {
            try SampleBusinessDatabase(subjects: subjects, heavyRows: 0).write(to: database, vaultPath: vault)
        }
        let served = directory + "/served.yaml"
        let local = directory + "/in-process.yaml"
        for file in ["served-ledger", "in-process-ledger"] { try? FileManager.default.removeItem(atPath: directory + "/\(file).sqlite") }
        let servedLedger =
            postgres.map { location in
                "{ driver: postgres, url: \"postgres://\(location.user)@\(location.host):\(location.port)/\(location.database)\"\(location.passwordVariable.map { ", password_env: \($0)" } ?? ""), keys: keys }"
            } ?? "{ path: served-ledger.sqlite }"
        try config(ledger: servedLedger, database: database, vault: vault).write(toFile: served, atomically: true, encoding: .utf8)
        try config(ledger: "{ path: in-process-ledger.sqlite }", database: database, vault: vault).write(
            toFile: local, atomically: true, encoding: .utf8)

        // The baseline first: the pipeline in this process, the same concurrency.
        let stored = try StoredDeployment(
            path: local, registry: ModuleRegistry([access]), exports: StandardExportFormats(), logger: Logger(label: "bench"))
        let pipeline = RequestPipeline(deployment: stored.deployment)
        let baseline = try await measure(first: requests + 101) { subject in
            let filed = try await pipeline.submit(RequestIntake(right: "access", subject: Self.email(subject)))
            let code = try await Self.code(for: filed.id.rawValue) {
                try await stored.store.outbox(request: filed.id).map { ($0.message.kind.rawValue, $0.message.body) }
            }
            let done = try await pipeline.verify(filed.id, code: code)
            guard done.state == .completed else { throw Failure(description: "in-process request ended \(done.state.rawValue)") }
        }

        // The servers: subprocesses of this same binary, one after another so the first migrates.
        var servers: [ServerProcess] = []
        defer { for server in servers { server.stop() } }
        for index in 0..<instances { servers.append(try ServerProcess(config: served, directory: directory, output: "serve-\(index).out")) }
        let messages: @Sendable (String) async throws -> [(String, String)]
        if let postgres {
            let store = try await PostgresStore(location: postgres, keysFolder: directory + "/keys", logger: Logger(label: "bench"))
            messages = { id in try await store.outbox(request: RequestID(id)).map { ($0.message.kind.rawValue, $0.message.body) } }
        } else {
            let ledger = try DatabasePool(
                path: directory + "/served-ledger.sqlite",
                configuration: {
                    var c = Configuration()
                    c.readonly = true
                    return c
                }())
            messages = { id in
                try await ledger.read { db in
                    try Row.fetchAll(db, sql: "SELECT kind, body FROM outbox WHERE request_id = ?", arguments: [id]).map {
                        ($0["kind"], $0["body"])
                    }
                }
            }
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = clients
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let bases = servers.map { "http://127.0.0.1:\($0.port)" }
        let cpuBefore = servers.map { $0.cpuSeconds() }.reduce(0, +)
        let overHTTP: Side
        do {
            overHTTP = try await measure(first: 1) { subject in
                let base = bases[subject % bases.count]
                let filed = try await Self.post(
                    client, base + "/v1/requests",
                    json: #"{"right":"access","subject":{"kind":"email","value":"\#(SampleBusinessDatabase.email(subject))"}}"#)
                guard let request = filed["request"] as? [String: Any], let id = request["id"] as? String,
                    let secret = filed["secret"] as? String
                else {
                    throw Failure(description: "filing answered \(filed)")
                }
                let code = try await Self.code(for: id) { try await messages(id) }
                let verified = try await Self.post(
                    client, base + "/v1/requests/\(id)/verification", json: #"{"code":"\#(code)"}"#, secret: secret)
                guard verified["state"] as? String == "completed" else { throw Failure(description: "verification answered \(verified)") }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let cpu = servers.map { $0.cpuSeconds() }.reduce(0, +) - cpuBefore
        return Report(
            requests: requests, clients: clients, store: postgres == nil ? "sqlite" : "postgres", instances: instances, http: overHTTP,
            inProcess: baseline,
            throughputRatio: overHTTP.requestsPerSecond / max(baseline.requestsPerSecond, 1e-9),
            serverCPUMillisecondsPerRequest: cpu * 1_000 / Double(requests + 100),
            serverPeakResidentMiB: servers.map { $0.peakResidentMiB() }.max() ?? 0,
            serverReadyMilliseconds: (servers.map(\.readySeconds).max() ?? 0) * 1_000
        )
    }

    /// Runs 100 untimed requests, then `requests` timed ones from `clients` concurrent tasks,
    /// each on subjects counting up from `first`.
    func measure(first: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws -> Side {
        for subject in first..<(first + 100) { try await body(subject) }
        let counter = SubjectCounter(next: first + 100, end: first + 100 + requests)
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self, returning: [Double].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var own: [Double] = []
                    while let subject = await counter.take() {
                        let begun = ContinuousClock.now
                        try await body(subject)
                        own.append(Self.seconds(ContinuousClock.now - begun))
                    }
                    return own
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        let elapsed = Self.seconds(ContinuousClock.now - start)
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1_000
        }
        return Side(
            requestsPerSecond: Double(latencies.count) / elapsed, p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func email(_ subject: Int) -> SubjectIdentity { SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)) }

    /// The newest code the outbox holds for a request.
    static func code(for id: String, _ messages: () async throws -> [(String, String)]) async throws -> String {
        let body = try await messages().last { $0.0 == "verification-code" }?.1 ?? ""
        guard let code = OneTimeCodeVerifier.code(in: body) else { throw Failure(description: "no code for request \(id)") }
        return code
    }

    static func post(_ client: HTTPClient, _ url: String, json: String, secret: String? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let secret { request.headers.add(name: "X-Request-Secret", value: secret) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }
}

/// Hands out subject numbers to the concurrent clients.
actor SubjectCounter {
    var next: Int
    let end: Int
    init(next: Int, end: Int) {
        self.next = next
        self.end = end
    }

    func take() -> Int? {
        guard next < end else { return nil }
        defer { next += 1 }
        return next
    }
}

/// A `rightskit serve` subprocess of this binary, with what /proc says of its CPU and memory.
final class ServerProcess {
    let process = Process()
    let port: Int
    /// From launch to the first healthy answer.
    let readySeconds: Double

    init(config: String, directory: String, output: String = "serve.out") throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.executableURL =
            FileManager.default.isExecutableFile(atPath: executable.path) ? executable : URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serve", "--config", config, "--port", "0", "--json"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = directory + "/" + output
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        try? handle.close()
        var port = 0
        while port == 0, process.isRunning, ContinuousClock.now - start < .seconds(30) {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("\"port\"") }),
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let bound = object["port"] as? Int
            {
                port = bound
            } else {
                usleep(1_000)
            }
        }
        guard port > 0 else { throw HTTPBench.Failure(description: "the server did not start") }
        self.port = port
        readySeconds = HTTPBench.seconds(ContinuousClock.now - start)
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// User and system CPU seconds the server has used so far.
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The server's peak resident memory (VmHWM).
    func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1_024
    }
}
