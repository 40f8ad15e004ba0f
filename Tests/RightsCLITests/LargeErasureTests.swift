import Foundation
import GRDB
import RightsTesting
import Testing

/// A subject with 400,000 rows is erased while the host application keeps writing to the same
/// database: the erasure commits in short batches, so every host write succeeds within its
/// 5 s busy timeout; killed mid-way and resumed, every row is handled exactly once.
@Suite("A 400,000-row erasure beside a busy host application, killed and resumed")
struct LargeErasureTests {
    /// The host application: a second process writing a ticket every 50 ms with a 5 s busy
    /// timeout until told to stop (or 10 minutes pass); prints `ok failed worst-wait-seconds`.
    static let hostWriter = """
        import os, sqlite3, sys, time
        db = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
        ok = failed = 0
        worst = 0.0
        give_up = time.time() + 600
        while not os.path.exists(sys.argv[2]) and time.time() < give_up:
            started = time.time()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO support_tickets (contact_email, subject_line, body, created_at) VALUES ('host@example.cn', 'host', 'write', '2026-11-29')")
                db.execute("COMMIT")
                ok += 1
            except sqlite3.OperationalError as error:
                failed += 1
                print(error, file=sys.stderr)
                try:
                    db.execute("ROLLBACK")
                except sqlite3.OperationalError:
                    pass
            worst = max(worst, time.time() - started)
            time.sleep(0.05)
        print(ok, failed, round(worst, 3))
        """

    /// The test's own reads wait for the host's writes, as any reader of a busy database must.
    static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    @Test func theHostKeepsWritingAndEveryRowIsHandledOnce() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig)
        let seeded = try await cli.run("demo", "seed", "--subjects", "5", "--heavy-rows", "200000")
        #expect(seeded.status == 0, "\(seeded.errors)")
        let business = cli.directory.file("data/sample-business.sqlite")
        let heavy = try await Self.open(business).read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT (SELECT COUNT(*) FROM orders WHERE account_id = 1) + (SELECT COUNT(*) FROM transactions t JOIN orders o ON t.order_id = o.id WHERE o.account_id = 1)"
            ) ?? 0
        }
        #expect(heavy >= 400_000)

        let script = cli.directory.file("host-writer.py")
        let stop = cli.directory.file("stop")
        try Self.hostWriter.write(toFile: script, atomically: true, encoding: .utf8)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["python3", script, business, stop]
        let writerOutput = Pipe()
        writer.standardOutput = writerOutput
        writer.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: cli.directory.file("host-writer.log")).creatingFile())
        try await ProcessLaunches.run(writer)
        // Whatever happens below, the host writer stops with the test.
        defer {
            try? Data().write(to: URL(fileURLWithPath: stop))
            if writer.isRunning { writer.terminate() }
        }

        let id = try await cli.submit(["--right", "erasure", "--subject", "email:user1@example.cn", "--param", "ground=consent-withdrawn"])
        let code = try await cli.code(for: id)
        // Killed after the 60th batch has committed, mid-way through the subject's rows.
        let (process, _, _) = try await cli.start(["verify", id, "--code", code], environment: ["RIGHTSKIT_CRASH_AT": "erase:batch#60"])
        await CommandLineRunner.waitForExit(process)
        #expect(process.terminationReason == .uncaughtSignal, "the erasure was killed mid-way")
        let partial = try await Self.open(business).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT table_name || ':' || row_key) FROM rightskit_restrictions") ?? 0
        }
        #expect(partial > 0 && partial < heavy, "some rows were handled before the kill (\(partial))")

        let resumed = try await cli.run("resume")
        #expect(resumed.status == 0, "\(resumed.errors)")
        try Data().write(to: URL(fileURLWithPath: stop))
        await CommandLineRunner.waitForExit(writer)
        let report = String(decoding: writerOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").map(
            String.init)
        #expect(report.count == 3)
        let (written, failed, worst) = (
            Int(report.first ?? "") ?? 0, Int(report.dropFirst().first ?? "") ?? -1,
            Double(report.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99
        )
        #expect(written > 20, "the host wrote throughout")
        #expect(failed == 0, "no host write failed with 'database is locked'")
        // Alone, the longest wait is about 0.3 s; with every other suite (and their servers)
        // sharing the two cores it has reached 2.85 s (283 tests, on a 2-core machine). The
        // bound is under the host's 5 s busy timeout with room to spare: an unbatched erasure
        // would hold its writes for the whole 45 s, and any write past 5 s fails above.
        #expect(worst < 4, "the host waited well under its busy timeout (\(worst) s)")

        // Every row of the subject is restricted (retention runs) exactly once, none twice.
        let (rows, duplicates, progress) = try await Self.open(business).read { db in
            (
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(DISTINCT table_name || ':' || row_key) FROM rightskit_restrictions WHERE table_name IN ('orders', 'transactions')"
                ) ?? 0,
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM (SELECT 1 FROM rightskit_restrictions GROUP BY table_name, row_key, columns, basis HAVING COUNT(*) > 1)"
                ) ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rightskit_progress") ?? -1
            )
        }
        #expect(rows == heavy)
        #expect(duplicates == 0)
        #expect(progress == 0, "the batch cursor is gone once the erasure finished")
        let status = try #require(try cli.json(try await cli.run("status", id, "--json")) as? [String: Any])
        let references = (status["outcome"] as? [String: Any])?["references"] as? [String: Any]
        #expect(status["state"] as? String == "partiallyCompleted")
        // The report counts each row once per field, across both processes.
        #expect(references?["rows_restricted"] as? String == "1400000")
        #expect(try await cli.run("audit", "verify").status == 0)
    }
}

extension URL {
    /// The URL, after creating an empty file there.
    func creatingFile() -> URL {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return self
    }
}
