import Foundation
import GRDB
import NIOHTTP1
import RightsTesting
import Testing

/// Checkpoints that cannot seal a cut: each is signed only over a chain verified since the last
/// one, each signs the one before it, and `audit verify` cross-checks the ledger's requests
/// against the chain. Tampered with directly in the SQLite ledger, as an attacker with the
/// file would.
@Suite("Checkpoints only over a verified chain, and a chain of checkpoints")
struct CheckpointChainTests {
    /// A probe deployment that signs and publishes checkpoints, with `requests` filed.
    func deployment(requests: Int) async throws -> (CommandLineRunner, DatabaseQueue) {
        let config = probeDeployment().replacingOccurrences(
            of: "  identity: { code_ttl_seconds: 600, max_attempts: 3 }",
            with:
                "  identity: { code_ttl_seconds: 600, max_attempts: 3 }\n  audit: { signing_key: keys/audit.key, published_checkpoints: published }"
        )
        let cli = try CommandLineRunner(config: config)
        for index in 1...requests { _ = try await cli.run("submit", "--right", "probe", "--subject", "email:subject\(index)@example.cn") }
        return (cli, try DatabaseQueue(path: cli.directory.file("data/ledger.sqlite")))
    }

    func file(_ cli: CommandLineRunner, _ index: Int) async throws {
        #expect(try await cli.run("submit", "--right", "probe", "--subject", "email:subject\(index)@example.cn").status == 0)
    }

    /// Cuts every entry after `sequence` and rewrites the head to match, as one hiding them would.
    func cut(after sequence: Int, in raw: DatabaseQueue) async throws {
        try await raw.write { db in
            try db.execute(sql: "DELETE FROM audit_entries WHERE seq > ?", arguments: [sequence])
            let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            try db.execute(sql: "UPDATE audit_head SET seq = ?, hash = ?", arguments: [last?["seq"] as Int64?, last?["hash"] as String?])
        }
    }

    @Test func aCutWithARewrittenHeadIsNeverSignedAndVerifyNamesIt() async throws {
        let (cli, raw) = try await deployment(requests: 2)
        #expect(try await cli.run("audit", "checkpoint").status == 0)
        let signed = try await raw.read { db in try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_checkpoints") } ?? 0
        try await file(cli, 3)
        try await file(cli, 4)
        // A cut reaching back before the last checkpoint, the head rewritten to match.
        try await cut(after: signed - 1, in: raw)
        let refused = try await cli.run("audit", "checkpoint")
        #expect(refused.status == 6, "\(refused.output) \(refused.errors)")
        #expect(refused.errors.contains("no checkpoint signed"), "\(refused.errors)")
        let count = try await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_checkpoints") }
        #expect(count == 1, "nothing was signed over the cut")
        let verified = try await cli.run("audit", "verify")
        #expect(verified.status == 6 && verified.output.contains("log cut off"), "\(verified.output)")
    }

    @Test func aCutAfterTheLastCheckpointIsNamedByTheRequestsItConcerned() async throws {
        let (cli, raw) = try await deployment(requests: 2)
        #expect(try await cli.run("audit", "checkpoint").status == 0)
        let signed = try await raw.read { db in try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_checkpoints") } ?? 0
        try await file(cli, 3)
        let third = try await raw.read { db in try String.fetchOne(db, sql: "SELECT id FROM requests ORDER BY rowid DESC LIMIT 1") } ?? ""
        // The third request's entries cut, and both checkpoint stores emptied.
        try await cut(after: signed, in: raw)
        try await raw.write { db in try db.execute(sql: "DELETE FROM audit_checkpoints") }
        try "".write(toFile: cli.directory.file("published/audit-checkpoints.jsonl"), atomically: true, encoding: .utf8)
        let verified = try await cli.run("audit", "verify")
        #expect(verified.status == 6, "\(verified.output)")
        #expect(verified.output.contains("request \(third) was recorded but its audit entries are gone"), "\(verified.output)")
        let refused = try await cli.run("audit", "checkpoint")
        #expect(refused.status == 6 && refused.errors.contains(third), "never sealed either: \(refused.errors)")
    }

    @Test func anOlderCheckpointDeletedIsNamed() async throws {
        let (cli, raw) = try await deployment(requests: 1)
        var sequences: [Int] = []
        for index in 2...4 {
            #expect(try await cli.run("audit", "checkpoint").status == 0)
            sequences.append(try await raw.read { db in try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_checkpoints") } ?? 0)
            try await file(cli, index)
        }
        #expect(try await cli.run("audit", "checkpoint").status == 0)
        #expect(try await cli.run("audit", "verify").status == 0)
        // The second checkpoint removed from the database and from the published copy.
        let second = sequences[1]
        try await raw.write { db in try db.execute(sql: "DELETE FROM audit_checkpoints WHERE seq = ?", arguments: [second]) }
        let file = cli.directory.file("published/audit-checkpoints.jsonl")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").filter {
            !$0.contains("\"sequence\":\(sequences[1]),")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let verified = try await cli.run("audit", "verify")
        #expect(verified.status == 6, "\(verified.output)")
        #expect(
            verified.output.contains("the checkpoint at entry \(sequences[2]) does not follow the checkpoint before it"),
            "\(verified.output)")
    }

    @Test func aSigningKeyThatIsAFolderIsRefusedAtLoadWithItsLocation() async throws {
        let (cli, _) = try await deployment(requests: 1)
        try FileManager.default.createDirectory(atPath: cli.directory.file("keys/audit.key"), withIntermediateDirectories: true)
        let checked = try await cli.run("check-config")
        #expect(
            checked.status == 3 && checked.errors.contains("signing_key") && checked.errors.contains("is a folder"), "\(checked.errors)")
    }

    @Test func verifyNeedsOnlyThePublicKeyItIsGiven() async throws {
        let (cli, _) = try await deployment(requests: 2)
        #expect(try await cli.run("audit", "checkpoint").status == 0)
        // The auditor's copy of the public key, elsewhere; the deployment's own copies gone.
        let auditorCopy = cli.directory.file("auditor/audit.pub")
        try FileManager.default.createDirectory(atPath: cli.directory.file("auditor"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: cli.directory.file("keys/audit.key.pub"), toPath: auditorCopy)
        try FileManager.default.moveItem(atPath: cli.directory.file("keys/audit.key"), toPath: cli.directory.file("offline.key"))
        #expect(try await cli.run("audit", "verify").status == 3, "without a public key verify says so")
        let verified = try await cli.run("audit", "verify", "--public-key", auditorCopy)
        #expect(verified.status == 0 && verified.output.contains("signed checkpoint(s) match"), "\(verified.output) \(verified.errors)")
        #expect(!FileManager.default.fileExists(atPath: cli.directory.file("keys/audit.key")), "verify never creates a key")
        // A signing key that is not a key file is refused at load, with its location.
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: cli.directory.file("keys/audit.key")))
        let refused = try await cli.run("check-config")
        #expect(refused.status == 3 && refused.errors.contains("not a readable Ed25519 key file"), "\(refused.errors)")
    }
}

/// The server refuses to seal a cut, says so to the operator and counts it for alerting.
@Suite("Checkpoint refusals over HTTP")
struct CheckpointRefusalOverHTTPTests {
    @Test func aCutIsRefusedWithAConflictAndCountedInMetrics() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let token = try await server.token("operator", name: "desk")
        let auth = ["Authorization": "Bearer \(token)"]
        for index in 1...2 { _ = try await server.file("access", subject: "email:user\(index)@example.cn") }
        #expect(try await server.call(.POST, "/v1/admin/audit/checkpoints", headers: auth).status == 201)
        _ = try await server.file("access", subject: "email:user3@example.cn")
        // Entries cut back past the checkpoint, the head rewritten to match.
        let raw = try DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite"))
        try await raw.write { db in
            let checkpoint = try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_checkpoints") ?? 0
            try db.execute(sql: "DELETE FROM audit_entries WHERE seq >= ?", arguments: [checkpoint])
            let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            try db.execute(sql: "UPDATE audit_head SET seq = ?, hash = ?", arguments: [last?["seq"] as Int64?, last?["hash"] as String?])
        }
        let refused = try await server.call(.POST, "/v1/admin/audit/checkpoints", headers: auth)
        #expect(refused.status == 409 && refused.problem == "audit_broken", "\(refused.text)")
        let metrics = try await server.call(.GET, "/metrics")
        #expect(metrics.text.contains("rightskit_audit_checkpoint_refusals_total 1"), "\(metrics.text.prefix(2000))")
    }
}
