import Foundation
import RightsTesting
import Testing

/// `rightskit store migrate --from sqlite --to postgres` on a deployment with history: the
/// ledger arrives whole (requests, audit chain with a signed checkpoint, holds, tokens) and the
/// deployment goes on from there on PostgreSQL.
@Suite("Moving a deployment's ledger from SQLite to PostgreSQL")
struct StoreMigrateTests {
    @Test("the ledger moves with its chain and checkpoint intact, and work goes on after the switch")
    func migrateAndSwitch() async throws {
        let postgres = try TestPostgres.shared.get()
        let database = try postgres.database()
        let sqliteConfig = try CommandLineRunner.repositoryConfig
        let cli = try CommandLineRunner(config: sqliteConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "run").status == 0)
        let filed = try await cli.run("submit", "--right", "access", "--subject", "email:user7@example.cn")
        #expect(filed.status == 0, "\(filed.errors)")
        let token = try await cli.run("token", "create", "--role", "auditor", "--name", "li.audit")
        #expect(token.status == 0)
        #expect(
            try await cli.run(
                "hold", "add", "--ground", "criminal-investigation", "--authority", "case 7", "--subject", "email:user9@example.cn"
            ).status == 0)
        #expect(try await cli.run("audit", "checkpoint").status == 0)
        let before = try #require(try cli.json(try await cli.run("requests", "--json")) as? [[String: Any]])

        let moved = try await cli.run("store", "migrate", "--from", "sqlite", "--to", "postgres", "--url", database, "--json")
        #expect(moved.status == 0, "\(moved.output) \(moved.errors)")
        let report = try #require(try cli.json(moved) as? [String: Any])
        let rows = try #require(report["rows"] as? [String: Int])
        #expect(rows["requests"] == before.count)
        #expect((rows["audit_entries"] ?? 0) > 0)
        #expect(rows["audit_checkpoints"] == 1)
        #expect((report["audit"] as? [String: Any])?["intact"] as? Bool == true)

        // Into a database that holds a ledger: refused, nothing written.
        let again = try await cli.run("store", "migrate", "--from", "sqlite", "--to", "postgres", "--url", database)
        #expect(again.status == 5)
        #expect(again.errors.contains("already holds a ledger"))

        // Switched: the same requests, the checkpoint verifies, the token and the hold still hold.
        let postgresConfig = sqliteConfig.replacingOccurrences(
            of: "store: { driver: sqlite, path: data/rightskit.sqlite }", with: "store: { driver: postgres, url: \"\(database)\" }")
        try postgresConfig.write(toFile: cli.directory.file("config.yaml"), atomically: true, encoding: .utf8)
        let after = try #require(try cli.json(try await cli.run("requests", "--json")) as? [[String: Any]])
        #expect(after.compactMap { $0["id"] as? String } == before.compactMap { $0["id"] as? String })
        let verified = try await cli.run("audit", "verify", "--json")
        #expect(verified.status == 0, "\(verified.output) \(verified.errors)")
        #expect((try cli.json(verified) as? [String: Any])?["checkpoints"] as? Int ?? 0 >= 1)
        let tokens = try await cli.run("token", "list", "--json")
        #expect(tokens.output.contains("li.audit"))
        let held = try await cli.run(
            "submit", "--right", "erasure", "--subject", "email:user9@example.cn", "--param", "ground=consent-withdrawn")
        #expect(held.status == 0)
        let id = try #require(
            (try cli.json(try await cli.run("requests", "--json", "--right", "erasure")) as? [[String: Any]])?.last?["id"] as? String)
        let code = try #require(
            try postgres.query("SELECT body FROM outbox WHERE request_id = '\(id)' AND kind = 'verification-code'", on: database).first
                .flatMap(RightsTestHarness.code(in:)))
        let denied = try await cli.run("verify", id, "--code", code, "--json")
        #expect((try cli.json(denied) as? [String: Any])?["state"] as? String == "denied", "the moved hold still applies: \(denied.output)")
        // The subject key is the same on both sides, so the moved hold found the subject.
        #expect(try await cli.run("audit", "verify").status == 0)
    }
}
