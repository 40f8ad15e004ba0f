import Foundation
import Logging
import RightsKernel
import RightsPostgres
import RightsTesting
import Testing

/// The PostgreSQL ledger's foundation against a real PostgreSQL server started for the tests.
@Suite("The PostgreSQL ledger: connecting and migrating")
struct PostgresStoreOpeningTests {
    func database() throws -> String { try TestPostgres.shared.get().database() }

    @Test("five processes' worth of stores starting at once on an empty database apply each migration once")
    func concurrentStartsMigrateOnce() async throws {
        let location = try PostgresLocation(url: try database())
        let keys = try TemporaryDirectory().file("keys")
        let ledgers = try await withThrowingTaskGroup(of: PostgresStore.self, returning: [PostgresStore].self) { group in
            for _ in 0..<5 {
                group.addTask { try await PostgresStore(location: location, keysFolder: keys, logger: Logger(label: "test")) }
            }
            var all: [PostgresStore] = []
            for try await ledger in group { all.append(ledger) }
            return all
        }
        let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")
        for ledger in ledgers {
            #expect(try await ledger.appliedMigrations() == [1, 2, 3, 4])
            #expect(await ledger.isReachable())
            // One subject-key secret was created, and every instance salts with it.
            #expect(ledger.subjectKey(for: subject) == ledgers[0].subjectKey(for: subject))
        }
        for ledger in ledgers { await ledger.close() }
        // Opening again changes nothing.
        let again = try await PostgresStore(location: location, keysFolder: keys, logger: Logger(label: "test"))
        #expect(try await again.appliedMigrations() == [1, 2, 3, 4])
        await again.close()
    }

    @Test("a URL with a password, without a database or of another scheme is refused without repeating it")
    func locations() throws {
        #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation(url: "postgres://app:s3cret@db.example.cn/rights") }
        do {
            _ = try PostgresLocation(url: "postgres://app:s3cret@db.example.cn/rights")
        } catch {
            #expect(!error.description.contains("s3cret"))
        }
        #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation(url: "postgres://app@db.example.cn") }
        #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation(url: "mysql://app@db.example.cn/rights") }
        let location = try PostgresLocation(url: "postgres://app@db.example.cn:6543/rights", passwordVariable: "RIGHTSKIT_DB_PASSWORD")
        #expect(location.port == 6543 && location.database == "rights" && location.user == "app")
    }

    @Test("a database that refuses the connection is a clear error naming where, at once")
    func unreachable() async throws {
        let location = try PostgresLocation(url: "postgres://rightskit@127.0.0.1:1/nowhere")
        do {
            _ = try await PostgresStore(
                location: location, keysFolder: try TemporaryDirectory().file("keys"), logger: Logger(label: "test"))
            Issue.record("opened a store on a closed port")
        } catch let error as PostgresStoreUnreachable {
            #expect(error.description.contains("127.0.0.1:1/nowhere"))
        }
    }

    @Test("audit entries committed with their change are chained within a second, without a read")
    func pendingEntriesAreChainedSoon() async throws {
        let harness = try await RightsTestHarness(on: .postgres, modules: [ProbeRight.self], rights: "probe: {}")
        let request = try await harness.pipeline.submit(
            RequestIntake(right: "probe", subject: SubjectIdentity(kind: "email", value: "li.wei@example.cn")))
        let location = try #require(
            try DeploymentSettings.load(path: harness.directory.file("config.yaml")).store.url.map { try PostgresLocation($0) })
        let server = try TestPostgres.shared.get()
        let url = server.url(database: location.database)
        var pending = ["?"]
        for _ in 0..<20 where pending != ["0"] {
            try await Task.sleep(for: .milliseconds(100))
            pending = try server.query("SELECT COUNT(*) FROM audit_pending", on: url)
        }
        #expect(pending == ["0"])
        #expect(try server.query("SELECT COUNT(*) FROM audit_entries WHERE request_id = '\(request.id.rawValue)'", on: url) != ["0"])
    }
}

@Suite("The test PostgreSQL server")
struct TestPostgresTests {
    @Test("a server left by a test run that ended is removed; one whose run goes on is kept")
    func endedRunsAreReaped() async throws {
        let parent = try TemporaryDirectory()
        // A process that has ended, and this one.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try await ProcessLaunches.run(ended)
        while ended.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        for (name, owner) in [("rightskit-pg-ended", ended.processIdentifier), ("rightskit-pg-live", getpid())] {
            try FileManager.default.createDirectory(atPath: parent.file(name), withIntermediateDirectories: true)
            try Data("\(owner)".utf8).write(to: URL(fileURLWithPath: parent.file(name + "/owner.pid")))
        }
        try TestPostgres.shared.get().reapEndedRuns(in: parent.path)
        #expect(!FileManager.default.fileExists(atPath: parent.file("rightskit-pg-ended")))
        #expect(FileManager.default.fileExists(atPath: parent.file("rightskit-pg-live")))
    }
}
