import ArgumentParser
import Crypto
import Foundation
import GRDB
import Logging
import RightsExport
import RightsKernel
import RightsPostgres
import RightsStore

/// `rightskit bench`: measures the data service and the pipeline against plain SQLite doing the
/// same reads in the same run, and prints the ratios (and the process's peak memory).
struct BenchCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure locate, export and a whole request against plain SQLite baselines; --http measures the server.",
        discussion:
            "--http starts `rightskit serve` as a subprocess and files and verifies access requests over loopback from --clients concurrent clients, beside the same requests run in-process in the same run."
    )

    @Option(help: "Subjects in the generated database.") var subjects: Int = 20_000
    @Option(name: .customLong("heavy-rows"), help: "Extra orders (with transactions) for subject 1, the heavy export.") var heavyRows: Int =
        100_000
    @Option(help: "Runs of each measurement; the median is reported.") var runs: Int = 5
    @Option(help: "Where to generate the database (a temporary folder by default).") var folder: String?
    @Option(help: "Only this measurement (locate, export or request), for profiling one of them.") var only: Measurement?
    @Flag(name: .long, help: "Print machine-readable JSON.") var json = false
    @Flag(name: .long, help: "Measure the HTTP server against the in-process pipeline instead.") var http = false
    @Option(help: "With --http: concurrent clients.") var clients: Int = 16
    @Option(help: "With --http: timed requests on each side (after 100 untimed).") var requests: Int = 2_000
    @Option(help: "With --http: serve on this PostgreSQL ledger (postgres://user@host:port/database) instead of SQLite.") var postgres:
        String?
    @Option(name: .customLong("password-env"), help: "With --postgres: the environment variable holding the password.") var passwordEnv:
        String?
    @Option(help: "With --http: how many serve instances share the ledger (clients round-robin).") var instances: Int = 1
    @Option(help: "Time `datamap discover` on this SQLite file (Benchmarks/discovery/generate.py writes one) instead.") var discover:
        String?

    /// One measurement as `--json` prints it (seconds, medians of `runs`).
    struct MeasuredRow: Encodable {
        var measurement: String
        var byHand: Double
        var rightsKit: Double
        var ratio: Double
    }

    /// What `bench --json` prints.
    struct Report: Encodable {
        var rows: [MeasuredRow]
        var runs: Int
        var peakResidentMiB: Double
    }

    enum Measurement: String, ExpressibleByArgument { case locate, export, request }

    func validate() throws {
        guard subjects >= 2, runs >= 1, heavyRows >= 0 else { throw ValidationError("--subjects ≥ 2, --runs ≥ 1, --heavy-rows ≥ 0") }
    }

    func run(registry: ModuleRegistry) async throws {
        if let discover { return try await runDiscovery(discover) }
        let directory =
            folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("rightskit-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if http { return try await runHTTP(registry: registry, directory: directory) }
        let database = directory + "/business.sqlite"
        let vault = directory + "/vault.sqlite"
        if !FileManager.default.fileExists(atPath: database) {
            if !json { Output.line("generating \(subjects) subjects (+\(heavyRows) rows for subject 1) in \(directory) …") }
            try SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows).write(to: database, vaultPath: vault)
        }
        let map = try DataMap(
            section: ConfigSection.parse(yaml: SampleBusinessDatabase.dataMap(database: database, vault: vault), file: "bench-map.yaml"),
            baseDirectory: directory)
        let service = try await DataMapService.sqlite(map: map)
        let raw = try DatabaseQueue(path: database)
        let typical = subjects / 2
        var rows: [(String, Double, Double)] = []

        if only == nil || only == .locate {
            let baselineLocate = try median { try Self.plainLocate(raw, subject: typical) }
            let locate = try await medianAsync { _ = try await service.footprint(of: [Self.email(typical)], scope: .everything) }
            rows.append(("locate one subject (8 tables)", baselineLocate, locate))
        }

        let out = directory + "/bench-export.json"
        if only == nil || only == .export {
            let baselineExport = try median { try Self.plainExport(raw, subject: 1, to: out) }
            let export = try await medianAsync {
                let writer = try JSONExportWriter(path: out)
                _ = try await service.export([Self.email(1)], scope: .everything, into: writer)
                try writer.finish()
            }
            rows.append(("export heavy subject (\(heavyRows * 2 + 10)+ rows)", baselineExport, export))

            let baselineSmall = try median { try Self.plainExport(raw, subject: typical, to: out) }
            let small = try await medianAsync {
                let writer = try JSONExportWriter(path: out)
                _ = try await service.export([Self.email(typical)], scope: .everything, into: writer)
                try writer.finish()
            }
            rows.append(("export typical subject", baselineSmall, small))
        }

        if only == nil || only == .request, let access = registry.module("access") {
            let yaml = """
                deployment: { name: bench, jurisdiction: CN-PIPL }
                policy: { deadline: { days: 15 } }
                services: { store: { path: ledger.sqlite } }
                data_map:
                \(SampleBusinessDatabase.dataMap(database: database, vault: vault))
                rights: { \(access.identifier): { output: exports, verification: none } }
                """
            let config = directory + "/bench.yaml"
            try yaml.write(toFile: config, atomically: true, encoding: .utf8)
            let pipeline = RequestPipeline(
                deployment: try StoredDeployment(
                    path: config, registry: ModuleRegistry([access]), exports: StandardExportFormats(), logger: Logger(label: "bench")
                )
                .deployment)
            var subject = typical
            let request = try await medianAsync {
                subject += 1
                _ = try await pipeline.submit(RequestIntake(right: access.identifier, subject: Self.email(subject)))
            }
            // The same work by hand: the export, then the request row and its audit entries
            // (hash-chained) in one synced WAL transaction on a ledger of its own.
            let handLedger = try Self.handLedger(directory + "/hand-ledger.sqlite")
            var handSubject = typical
            let byHand = try median {
                handSubject += 1
                try Self.plainExport(raw, subject: handSubject, to: out)
                try Self.plainLedgerWrite(handLedger, subject: handSubject)
            }
            rows.append(("whole access request (ledger, audit, export)", byHand, request))
        }

        let peak = Self.peakResidentMiB()
        if json {
            let table = rows.map { MeasuredRow(measurement: $0.0, byHand: $0.1, rightsKit: $0.2, ratio: $0.2 / max($0.1, 1e-9)) }
            return try Output.json(Report(rows: table, runs: runs, peakResidentMiB: peak))
        }
        Output.line("")
        Output.line("measurement".padding(toLength: 48, withPad: " ", startingAt: 0) + "  by hand        RightsKit   ratio")
        for (name, baseline, measured) in rows {
            Output.line(
                name.padding(toLength: 48, withPad: " ", startingAt: 0)
                    + String(format: "  %9.2f ms  %8.2f ms  %5.2fx", baseline * 1000, measured * 1000, measured / max(baseline, 1e-9)))
        }
        Output.line(
            String(format: "peak resident memory of this process: %.1f MiB (median of %d runs each)", peak, runs))
    }

    /// `--http`: the server against the in-process pipeline, with this machine's targets.
    func runHTTP(registry: ModuleRegistry, directory: String) async throws {
        guard clients >= 1, requests >= 1, (1...16).contains(instances) else {
            throw ValidationError("--clients ≥ 1, --requests ≥ 1 and --instances 1 to 16")
        }
        guard instances == 1 || postgres != nil else { throw ValidationError("--instances above 1 needs a shared ledger: --postgres") }
        if !json {
            Output.line(
                "filing and verifying \(requests) access requests from \(clients) clients, over HTTP and in-process, in \(directory) …")
        }
        let report: HTTPBench.Report
        do {
            var bench = HTTPBench(directory: directory, subjects: max(subjects, 2 * requests + 200), requests: requests, clients: clients)
            bench.instances = instances
            if let postgres {
                do {
                    bench.postgres = try PostgresLocation(url: postgres, passwordVariable: passwordEnv)
                } catch {
                    throw ValidationError("--postgres: \(error.description)")
                }
            }
            report = try await bench.run(registry: registry)
        } catch let failure as HTTPBench.Failure {
            throw CommandFailure(.failure, failure.description)
        }
        if json { return try Output.json(report) }
        func row(_ name: String, _ side: HTTPBench.Side) -> String {
            name.padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: "%9.0f/s  p50 %7.2f ms  p99 %7.2f ms", side.requestsPerSecond, side.p50Milliseconds, side.p99Milliseconds)
        }
        Output.line(row("in-process", report.inProcess))
        Output.line(row("over HTTP", report.http) + "  (\(report.instances) × serve on \(report.store))")
        Output.line(String(format: "HTTP throughput is %.2f× in-process (target ≥ 0.67×: within 1.5×)", report.throughputRatio))
        Output.line(
            String(
                format:
                    "server CPU per request: %.2f ms; peak resident memory: %.1f MiB (target ≤ 64); ready %.0f ms after launch (target ≤ 150)",
                report.serverCPUMillisecondsPerRequest, report.serverPeakResidentMiB, report.serverReadyMilliseconds))
        Output.line(String(format: "completed access requests per second over HTTP: %.0f (target ≥ 1,000)", report.http.requestsPerSecond))
    }

    /// A ledger as a hand-written program would keep one: WAL, synced commits, like the store.
    static func handLedger(_ path: String) throws -> DatabasePool {
        try? FileManager.default.removeItem(atPath: path)
        let pool = try DatabasePool(path: path)
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE requests (id TEXT PRIMARY KEY, state TEXT NOT NULL, body TEXT NOT NULL);
                    CREATE TABLE audit (seq INTEGER PRIMARY KEY, request_id TEXT, action TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
                    """)
        }
        return pool
    }

    /// One request's ledger row and the five audit entries of its life, chained, in one commit.
    static func plainLedgerWrite(_ pool: DatabasePool, subject: Int) throws {
        let id = UUID().uuidString.lowercased()
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO requests (id, state, body) VALUES (?, 'completed', ?)", arguments: [id, "{\"subject\":\"\(subject)\"}"])
            var previous = try String.fetchOne(db, sql: "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1") ?? ""
            for action in ["request.received", "identity.not-required", "processing.started", "step.access.export", "request.completed"] {
                let hash = SHA256.hash(data: Data((previous + id + action).utf8)).hexString
                try db.execute(
                    sql: "INSERT INTO audit (request_id, action, prev_hash, hash) VALUES (?, ?, ?, ?)",
                    arguments: [id, action, previous, hash])
                previous = hash
            }
        }
    }

    static func email(_ subject: Int) -> SubjectIdentity { SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)) }

    /// The most memory this process has held, in MiB.
    static func peakResidentMiB() -> Double {
        var usage = rusage()
        #if os(Linux)
            getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_maxrss) / 1024
    }

    /// The median of `runs` timed runs, after one untimed run that warms the caches.
    func median(_ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    func medianAsync(_ body: () async throws -> Void) async throws -> Double {
        try await body()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try await body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// The subject's rows as a hand-written program would fetch them from this schema.
    static let plainQueries = [
        "SELECT * FROM accounts WHERE id = ?",
        "SELECT * FROM third_party_logins WHERE account_id = ?",
        "SELECT * FROM login_devices WHERE account_id = ?",
        "SELECT * FROM orders WHERE account_id = ?",
        "SELECT t.* FROM transactions t JOIN orders o ON t.order_id = o.id WHERE o.account_id = ?",
        "SELECT * FROM activated_services WHERE account_id = ?",
        "SELECT * FROM consents WHERE account_id = ?",
        "SELECT * FROM support_tickets WHERE contact_email = ?",
    ]

    static func plainArguments(_ sql: String, id: Int, subject: Int) -> StatementArguments {
        sql.contains("contact_email") ? [SampleBusinessDatabase.email(subject)] : [id]
    }

    static func plainLocate(_ queue: DatabaseQueue, subject: Int) throws {
        try queue.read { db in
            let id =
                try Int.fetchOne(db, sql: "SELECT id FROM accounts WHERE email = ?", arguments: [SampleBusinessDatabase.email(subject)])
                ?? -1
            for sql in plainQueries {
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(sql))", arguments: plainArguments(sql, id: id, subject: subject))
            }
        }
    }

    static func plainExport(_ queue: DatabaseQueue, subject: Int, to path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try queue.read { db in
            let id =
                try Int.fetchOne(db, sql: "SELECT id FROM accounts WHERE email = ?", arguments: [SampleBusinessDatabase.email(subject)])
                ?? -1
            var buffer = ""
            for sql in plainQueries {
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: plainArguments(sql, id: id, subject: subject))
                while let row = try cursor.next() {
                    buffer += row.description + "\n"
                    if buffer.utf8.count > 65_536 {
                        try handle.write(contentsOf: Data(buffer.utf8))
                        buffer = ""
                    }
                }
            }
            try handle.write(contentsOf: Data(buffer.utf8))
        }
    }
}
