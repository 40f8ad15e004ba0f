import Crypto
import Foundation
import GRDB
import NIOHTTP1
import RightsTesting
import Testing

/// `rightskit datamap discover` and `datamap drift`, run as an operator would, as subprocesses.
@Suite("datamap discover and drift through the CLI")
struct DataMapDiscoveryTests {
    /// The deployment around a proposed map, unedited: access and erasure on it.
    static let deployment = """
        deployment: { name: discovered, jurisdiction: EU-GDPR, timezone: Europe/Berlin }
        policy:
          deadline: { days: 30 }
          extension: { days: 60 }
        services:
          store: { driver: sqlite, path: data/ledger.sqlite }
          identity: { code_ttl_seconds: 600, max_attempts: 3 }
        data_map: datamap.yaml
        rights:
          access: { output: data/exports }
          erasure: { grounds: [consent-withdrawn] }
        """

    /// The subject table and its email column, and the first person's email, of each schema.
    static let subjects: [String: (table: String, email: String)] = [
        "pinyin-shop": ("yonghu", "yx"), "misleading-names": ("people", "contact"), "links-by-convention": ("customers", "email"),
    ]

    /// A deployment folder around the links-by-convention schema, with `server` appended to the
    /// deployment file; returns the folder and the database's path.
    static func conventionDeployment(server: String = "") throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory(prefix: "rightskit-drift")
        try FileManager.default.createDirectory(atPath: directory.file("data"), withIntermediateDirectories: true)
        let database = directory.file("data/business.sqlite")
        try EvaluationSchema.linksByConvention.write(to: database)
        try (deployment + server).write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        return (directory, database)
    }

    /// Adds a table of twenty emails the map does not know.
    static func addNewsletter(_ db: Database) throws {
        try db.execute(sql: "CREATE TABLE newsletter (id INTEGER PRIMARY KEY, email TEXT)")
        for index in 1...20 { try db.execute(sql: "INSERT INTO newsletter (email) VALUES (?)", arguments: ["reader\(index)@example.net"]) }
    }

    @Test(
        "Each evaluation schema's proposal passes check-config unedited, and an access and an erasure run end to end on it",
        arguments: EvaluationSchema.all.map(\.name))
    func proposalServesRequests(schemaName: String) async throws {
        let schema = try #require(EvaluationSchema.all.first { $0.name == schemaName })
        let directory = try TemporaryDirectory(prefix: "rightskit-discover")
        try FileManager.default.createDirectory(atPath: directory.file("data"), withIntermediateDirectories: true)
        let database = directory.file("data/business.sqlite")
        try schema.write(to: database)
        try Self.deployment.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let cli = try CommandLineRunner(directory: directory)

        let discovered = try await cli.run("datamap", "discover", "--source", database, "--output", "datamap.yaml")
        #expect(discovered.status == 0, "\(discovered.errors)")
        let checked = try await cli.run("check-config")
        let proposal = try String(contentsOfFile: directory.file("datamap.yaml"), encoding: .utf8)
        #expect(checked.status == 0, "\(schemaName): \(checked.errors)\n\(proposal)")

        let (table, column) = try #require(Self.subjects[schemaName])
        let email = try #require(
            try await DatabaseQueue(path: database).read { db in
                try String.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(column) IS NOT NULL LIMIT 1")
            })
        let access = try await cli.fileAndVerify(["--right", "access", "--subject", "email:\(email)"])
        #expect(access["state"] as? String == "completed", "\(schemaName): \(access)")
        let erasure = try await cli.fileAndVerify([
            "--right", "erasure", "--subject", "email:\(email)", "--param", "ground=consent-withdrawn",
        ])
        #expect(["completed", "partiallyCompleted"].contains(erasure["state"] as? String), "\(schemaName): \(erasure)")
        let left = try await DatabaseQueue(path: database).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(column) = ?", arguments: [email]) ?? -1
        }
        #expect(left == 0, "\(schemaName): the erased person is still found by their email")
    }

    @Test("Discovery reads only: the file's bytes are unchanged by it, and a writer in another process never fails while it runs")
    func readsOnlyOnSQLite() async throws {
        let directory = try TemporaryDirectory(prefix: "rightskit-discover")
        let database = directory.file("business.sqlite")
        try EvaluationSchema.linksByConvention.write(to: database)
        let cli = try CommandLineRunner(directory: directory)
        func digest() throws -> String {
            SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: database))).map { String(format: "%02x", $0) }.joined()
        }
        let before = try digest()
        #expect(try await cli.run("datamap", "discover", "--source", database).status == 0)
        #expect(try digest() == before, "discovery changed the database file")

        // Another process writes a row every 2 ms (as the host application would, with a busy
        // timeout) while discovery runs three times.
        let script = directory.file("writer.py")
        try """
        import os, sqlite3, sys, time
        db = sqlite3.connect(sys.argv[1], timeout=2.0, isolation_level=None)
        written, failed, stop = 0, 0, time.time() + 300
        while time.time() < stop and not os.path.exists(sys.argv[2]):
            try:
                db.execute("INSERT INTO reviews (cust_no, rating, review_text) VALUES ('C000001', 5, 'fine')")
                written += 1
            except sqlite3.OperationalError:
                failed += 1
            time.sleep(0.002)
        open(sys.argv[3], "w").write("%d %d" % (written, failed))
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["python3", script, database, directory.file("stop"), directory.file("written")]
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try await ProcessLaunches.run(writer)
        try await Task.sleep(for: .milliseconds(300))
        var waiting = Configuration()
        waiting.busyMode = .timeout(5)
        let reader = try DatabaseQueue(path: database, configuration: waiting)
        func reviews() async throws -> Int {
            try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reviews") ?? 0 }
        }
        var during: [Int] = []
        for _ in 0..<3 {
            let before = try await reviews()
            let run = try await cli.run("datamap", "discover", "--source", database)
            #expect(run.status == 0, "\(run.errors)")
            during.append(try await reviews() - before)
        }
        #expect(writer.isRunning, "the writer stopped before discovery ended")
        #expect(during.allSatisfy { $0 > 0 }, "writes stalled while discovery ran: \(during)")
        _ = FileManager.default.createFile(atPath: directory.file("stop"), contents: nil)
        await CommandLineRunner.waitForExit(writer)
        let counts = try String(contentsOfFile: directory.file("written"), encoding: .utf8).split(separator: " ").compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] > 100, "the writer hardly wrote: \(counts)")
        #expect(counts.last == 0, "writes failed while discovery ran: \(counts)")
    }

    @Test("On PostgreSQL discovery samples in read-only transactions: a writer in another process never fails or stalls while it runs")
    func readsOnlyOnPostgres() async throws {
        let postgres = try TestPostgres.shared.get()
        let directory = try TemporaryDirectory(prefix: "rightskit-discover")
        let file = directory.file("business.sqlite")
        try EvaluationSchema.linksByConvention.write(to: file)
        let url = try postgres.database()
        try await EvaluationSchema.copy(sqlite: file, into: url)
        let cli = try CommandLineRunner(directory: directory)
        let name = String(url.split(separator: "/").last ?? "")
        _ = try postgres.query("CREATE TABLE writer_stop (stopped INTEGER)", on: url)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: postgres.binaries + "/psql")
        writer.arguments = [
            "-h", "127.0.0.1", "-p", "\(postgres.port)", "-U", "rightskit", "-d", name, "-v", "ON_ERROR_STOP=1", "-c",
            // Writes until the test says stop (or ten minutes pass), committing each row.
            """
            DO $$ BEGIN FOR i IN 1..10000000 LOOP
              EXIT WHEN EXISTS (SELECT 1 FROM writer_stop) OR clock_timestamp() > now() + interval '10 minutes';
              INSERT INTO reviews (id, cust_no, rating, review_text) VALUES (100000 + i, 'C000001', 5, 'fine'); COMMIT; PERFORM pg_sleep(0.002);
            END LOOP; END $$
            """,
        ]
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try await ProcessLaunches.run(writer)
        try await Task.sleep(for: .milliseconds(300))
        var during: [Int] = []
        for _ in 0..<3 {
            let before = Int(try postgres.query("SELECT COUNT(*) FROM reviews", on: url).first ?? "") ?? 0
            let run = try await cli.run("datamap", "discover", "--source", url)
            #expect(run.status == 0, "\(run.errors)")
            #expect(run.output.contains("cust_no"), "the proposal names the links it inferred")
            during.append((Int(try postgres.query("SELECT COUNT(*) FROM reviews", on: url).first ?? "") ?? 0) - before)
        }
        _ = try postgres.query("INSERT INTO writer_stop VALUES (1)", on: url)
        await CommandLineRunner.waitForExit(writer)
        #expect(writer.terminationStatus == 0, "the writer failed while discovery ran")
        #expect(during.allSatisfy { $0 > 0 }, "writes stalled while discovery ran: \(during)")
    }

    @Test("drift finds a column added to a mapped table, a new table with an email column and a dropped mapped column; exit 11 and --json")
    func driftFindsChanges() async throws {
        let (directory, database) = try Self.conventionDeployment()
        let cli = try CommandLineRunner(directory: directory)
        #expect(try await cli.run("datamap", "discover", "--source", database, "--output", "datamap.yaml").status == 0)
        let clean = try await cli.run("datamap", "drift")
        #expect(clean.status == 0, "a fresh proposal has drifted: \(clean.output) \(clean.errors)")

        try await DatabaseQueue(path: database).write { db in
            try db.execute(sql: "ALTER TABLE customers ADD COLUMN second_email TEXT")
            try db.execute(sql: "UPDATE customers SET second_email = 'alt' || rowid || '@example.org'")
            try Self.addNewsletter(db)
            try db.execute(sql: "ALTER TABLE customers DROP COLUMN birth_date")
            // A table nothing personal is in, that refers to a mapped one.
            try db.execute(sql: "CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_no TEXT REFERENCES orders(order_no), carrier TEXT)")
        }
        // The map recorded another type for a column than the schema now declares.
        let map = try String(contentsOfFile: directory.file("datamap.yaml"), encoding: .utf8)
        let retyped = map.replacingOccurrences(
            of: #"full_name: { category: user.identity.real_name, erase: hmac, type: "TEXT" }"#,
            with: #"full_name: { category: user.identity.real_name, erase: hmac, type: "VARCHAR(80)" }"#)
        #expect(retyped != map, "the proposal's full_name line changed shape")
        try retyped.write(toFile: directory.file("datamap.yaml"), atomically: true, encoding: .utf8)
        let drifted = try await cli.run("datamap", "drift", "--json")
        #expect(drifted.status == 11, "\(drifted.errors)")
        let report = try #require(try cli.json(drifted) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        func finding(_ kind: String, _ table: String, _ column: String?) -> Bool {
            findings.contains { $0["kind"] as? String == kind && $0["table"] as? String == table && $0["column"] as? String == column }
        }
        #expect(finding("unmapped-personal-column", "customers", "second_email"), "\(findings)")
        #expect(finding("unmapped-personal-table", "newsletter", nil), "\(findings)")
        #expect(finding("mapped-column-gone", "customers", "birth_date"), "\(findings)")
        #expect(finding("mapped-column-type-changed", "customers", "full_name"), "\(findings)")
        #expect(finding("unmapped-reference", "shipments", "order_no"), "\(findings)")
        #expect(findings.count == 5, "\(findings)")
        #expect(!drifted.output.contains("@example"), "a sampled value reached the report")
        let text = try await cli.run("datamap", "drift")
        #expect(text.status == 11)
        #expect(text.output.contains("mapped-column-gone"))
    }

    @Test("serve runs drift in the background and counts its findings by kind in /metrics")
    func serveCountsDrift() async throws {
        let (directory, database) = try Self.conventionDeployment(server: "\nserver:\n  background: { drift_seconds: 1 }\n")
        let runner = try CommandLineRunner(directory: directory, executable: "rightskit")
        #expect(try await runner.run("datamap", "discover", "--source", database, "--output", "datamap.yaml").status == 0)
        let server = try await ServedDeployment(runner: runner)
        func findings(_ kind: String) async throws -> String? {
            let text = try await server.call(.GET, "/metrics").text
            return text.split(separator: "\n").first { $0.hasPrefix("rightskit_datamap_drift_findings{kind=\"\(kind)\"}") }
                .map { String($0.split(separator: " ").last ?? "") }
        }
        var clean: String?
        for _ in 0..<600 where clean == nil {
            clean = try await findings("unmapped-personal-table")
            if clean == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(clean.flatMap(Double.init) == 0)
        // The host application's own write, with a busy timeout as it would have: serve's drift
        // check reads the file every second.
        var waiting = Configuration()
        waiting.busyMode = .timeout(10)
        try await DatabaseQueue(path: database, configuration: waiting).write { db in
            try Self.addNewsletter(db)
        }
        var counted: String?
        for _ in 0..<600 where counted.flatMap(Double.init) != 1 {
            counted = try await findings("unmapped-personal-table")
            if counted.flatMap(Double.init) != 1 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(counted.flatMap(Double.init) == 1, "the new table with emails was never counted")
        _ = await server.stop()
    }
}
