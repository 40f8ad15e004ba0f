import Foundation
import GRDB
import RightsKernel
import RightsTesting
import Testing

@Suite("A request end to end through the CLI, as a real subprocess")
struct EndToEndTests {
    @Test func submitVerifyCompleteStatusAndAudit() async throws {
        let cli = try CommandLineRunner(config: probeDeployment())
        #expect(try await cli.run("check-config").status == 0)

        let submitted = try await cli.run("submit", "--right", "probe", "--subject", "email:li.wei@example.cn", "--json")
        #expect(submitted.status == 0, "\(submitted.errors)")
        let request = try #require(try cli.json(submitted) as? [String: Any])
        let id = try #require(request["id"] as? String)
        #expect(request["state"] as? String == "awaitingVerification")

        let outbox = try await cli.run("outbox", "--request", id, "--json")
        let messages = try #require(try cli.json(outbox) as? [[String: Any]])
        let body = try #require((messages.first?["message"] as? [String: Any])?["body"] as? String)
        let code = try #require(RightsTestHarness.code(in: body))

        let wrong = try await cli.run("verify", id, "--code", code == "00000000" ? "11111111" : "00000000")
        #expect(wrong.status == 10, "verification failed")
        #expect(wrong.errors.contains("wrong code; 2 attempt(s) left"))

        let verified = try await cli.run("verify", id, "--code", code)
        #expect(verified.status == 0, "\(verified.errors)")

        let status = try await cli.run("status", id, "--json")
        let final = try #require(try cli.json(status) as? [String: Any])
        #expect(final["state"] as? String == "completed")
        #expect((final["outcome"] as? [String: Any])?["message"] as? String == "The probe ran 2 step(s).")
        #expect(final["subject"] == nil, "the finished request keeps no identity")

        let human = try await cli.run("status", id)
        #expect(human.output.contains("state:     completed"))
        #expect(!human.output.contains("li.wei"))

        let audit = try await cli.run("audit", "verify")
        #expect(audit.status == 0)
        #expect(audit.output.contains("audit chain intact"))

        let listed = try await cli.run("requests", "--state", "completed")
        #expect(listed.output.contains(id))
    }

    @Test func exitCodesAreMeaningful() async throws {
        let cli = try CommandLineRunner(config: probeDeployment())
        let unknown = try await cli.run("status", "6f1c1f36-5a0e-4c36-9a52-1e0c3a7f6a11")
        #expect(unknown.status == 4)
        let notEnabled = try await cli.run("submit", "--right", "erasure", "--subject", "email:a@example.cn")
        #expect(notEnabled.status == 5)
        #expect(notEnabled.errors.contains("not enabled"))
        let badSubject = try await cli.run("submit", "--right", "probe", "--subject", "li.wei")
        #expect(badSubject.status != 0)
        #expect(badSubject.errors.contains("kind:value"))
        let badID = try await cli.run("status", "not-a-uuid")
        #expect(badID.status != 0)
    }

    @Test func checkConfigReportsLocatedMistakesAndExitsNonZero() async throws {
        let cli = try CommandLineRunner(
            config: probeDeployment(probe: "{ stpes: 2 }").replacingOccurrences(of: "days: 15, business", with: "days: -1, business"))
        let result = try await cli.run("check-config")
        #expect(result.status == 3)
        #expect(result.errors.contains("config.yaml:3:21: policy.deadline.days: expected a positive number of days up to 3650, found -1"))
        // The module section is checked once the kernel settings are valid.
        let fixed = try CommandLineRunner(config: probeDeployment(probe: "{ stpes: 2 }"))
        let second = try await fixed.run("check-config")
        #expect(second.status == 3)
        #expect(second.errors.contains("config.yaml:10:12: rights.probe.stpes: unknown key (did you mean 'steps'?)"))
        let missing = try await fixed.run("check-config", "--config", "nowhere.yaml")
        #expect(missing.status == 3)
    }

    @Test func modulesListsWhatTheBuildKnows() async throws {
        let cli = try CommandLineRunner(config: probeDeployment())
        let result = try await cli.run("modules", "--json")
        let modules = try #require(try cli.json(result) as? [[String: Any]])
        // The testbed registers the nine rights and the probe; the deployment enables the probe.
        #expect(modules.compactMap { $0["identifier"] as? String }.contains("probe"))
        #expect(modules.filter { $0["enabled"] as? Bool == true }.map { $0["identifier"] as? String } == ["probe"])
    }

    @Test func holdsFromTheCommandLineDenyWithTheirGround() async throws {
        let cli = try CommandLineRunner(config: probeDeployment())
        let added = try await cli.run(
            "hold", "add", "--subject", "email:li.wei@example.cn", "--ground", "criminal-investigation", "--authority", "Case 2026-117")
        #expect(added.status == 0, "\(added.errors)")
        let badGround = try await cli.run("hold", "add", "--subject", "email:x@example.cn", "--ground", "because", "--authority", "x")
        #expect(badGround.status != 0)

        let submitted = try await cli.run("submit", "--right", "probe", "--subject", "email:LI.WEI@example.cn", "--json")
        let id = try #require((try cli.json(submitted) as? [String: Any])?["id"] as? String)
        let outbox = try await cli.run("outbox", "--request", id, "--json")
        let body = try #require(((try cli.json(outbox) as? [[String: Any]])?.first?["message"] as? [String: Any])?["body"] as? String)
        let verified = try await cli.run("verify", id, "--code", try #require(RightsTestHarness.code(in: body)))
        #expect(verified.output.contains("state:     denied"))
        #expect(verified.output.contains("ground:    criminal-investigation"))

        let list = try await cli.run("hold", "list")
        #expect(list.output.contains("active  criminal-investigation"))
        #expect(!list.output.contains("li.wei"))
        #expect(try await cli.run("hold", "remove", "1").status == 0)
        #expect(try await cli.run("hold", "remove", "1").status == 4)
    }

    @Test func anAuditTamperingFailsVerifyWithItsEntry() async throws {
        let cli = try CommandLineRunner(config: probeDeployment())
        _ = try await cli.run("submit", "--right", "probe", "--subject", "email:li.wei@example.cn")
        let raw = try DatabaseQueue(path: cli.directory.file("data/ledger.sqlite"))
        try await raw.write { db in try db.execute(sql: "UPDATE audit_entries SET action = 'request.cancelled' WHERE seq = 1") }
        let result = try await cli.run("audit", "verify")
        #expect(result.status == 6)
        #expect(result.output.contains("entry 1 was modified"))
    }

    @Test func aSignedCheckpointCatchesAConsistentRewriteFromTheCommandLine() async throws {
        let config = probeDeployment().replacingOccurrences(
            of: "  identity: { code_ttl_seconds: 600, max_attempts: 3 }",
            with: "  identity: { code_ttl_seconds: 600, max_attempts: 3 }\n  audit: { signing_key: keys/audit.key }")
        let cli = try CommandLineRunner(config: config)
        #expect(try await cli.run("audit", "checkpoint").output.contains("the audit log is empty"))
        _ = try await cli.run("submit", "--right", "probe", "--subject", "email:li.wei@example.cn")
        let signed = try await cli.run("audit", "checkpoint")
        #expect(signed.status == 0, "\(signed.errors)")
        #expect(signed.output.contains("signed checkpoint at entry 2"))
        #expect(try await cli.run("audit", "verify").output.contains("2 signed checkpoint(s) match (stored and published)"))
        // Rewrite entry 1 and recompute every hash after it, and the head.
        let raw = try DatabaseQueue(path: cli.directory.file("data/ledger.sqlite"))
        try await raw.write { db in
            var previous = AuditEntry.genesisHash
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_entries ORDER BY seq") {
                let details = try CanonicalJSON.decode([String: String].self, from: Data((row["details"] as String).utf8))
                let event = AuditEvent(
                    actor: "operator:mallory", action: AuditAction(rawValue: row["action"]),
                    request: (row["request_id"] as String?).flatMap(RequestID.init),
                    details: details)
                let entry = try AuditEntry.chained(sequence: row["seq"], time: row["time"], event: event, previousHash: previous)
                try db.execute(
                    sql: "UPDATE audit_entries SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                    arguments: [event.actor.rawValue, previous, entry.hash, entry.sequence])
                previous = entry.hash
            }
            try db.execute(sql: "UPDATE audit_head SET hash = ?", arguments: [previous])
        }
        let verify = try await cli.run("audit", "verify")
        #expect(verify.status == 6)
        #expect(verify.output.contains("the chain was rewritten: entry 2 differs from its signed checkpoint"))
    }

    /// The cut of issue 8: tail entries deleted, the head fixed to the new last entry, the
    /// database's checkpoints deleted. The checkpoint published outside the database catches it,
    /// and verifying needs only the public key.
    @Test func aCutTailWithItsCheckpointsDeletedIsCaughtFromThePublishedCheckpoints() async throws {
        let config = probeDeployment().replacingOccurrences(
            of: "  identity: { code_ttl_seconds: 600, max_attempts: 3 }",
            with:
                "  identity: { code_ttl_seconds: 600, max_attempts: 3 }\n  audit: { signing_key: keys/audit.key, published_checkpoints: published }"
        )
        let cli = try CommandLineRunner(config: config)
        for index in 1...3 { _ = try await cli.run("submit", "--right", "probe", "--subject", "email:subject\(index)@example.cn") }
        #expect(try await cli.run("audit", "checkpoint").status == 0)
        let published = try String(contentsOfFile: cli.directory.file("published/audit-checkpoints.jsonl"), encoding: .utf8)
        #expect(published.split(separator: "\n").count == 1)

        // Verify with the public key alone: the private key is moved away and never recreated.
        try FileManager.default.moveItem(atPath: cli.directory.file("keys/audit.key"), toPath: cli.directory.file("offline-audit.key"))
        let intact = try await cli.run("audit", "verify")
        #expect(intact.status == 0, "\(intact.errors)")
        #expect(!FileManager.default.fileExists(atPath: cli.directory.file("keys/audit.key")), "verify never writes a key")

        // Only the database's checkpoints deleted: the published one is missing there.
        let raw = try DatabaseQueue(path: cli.directory.file("data/ledger.sqlite"))
        try await raw.write { db in try db.execute(sql: "DELETE FROM audit_checkpoints") }
        let missing = try await cli.run("audit", "verify")
        #expect(missing.status == 6)
        #expect(missing.output.contains("the checkpoint published at entry 6 is missing from the database"), "\(missing.output)")

        // The tail cut, the head fixed to the new last entry.
        try await raw.write { db in
            try db.execute(sql: "DELETE FROM audit_entries WHERE seq > 3")
            let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            try db.execute(sql: "UPDATE audit_head SET seq = ?, hash = ?", arguments: [last?["seq"] as Int64?, last?["hash"] as String?])
        }
        let cut = try await cli.run("audit", "verify", "--json")
        #expect(cut.status == 6)
        #expect(cut.output.contains("log cut off after entry 3 (chain head records 6)"), "\(cut.output)")
        #expect(!FileManager.default.fileExists(atPath: cli.directory.file("keys/audit.key")))

        // Without the public key, verify says what is missing rather than inventing a key.
        try FileManager.default.removeItem(atPath: cli.directory.file("keys/audit.key.pub"))
        let noKey = try await cli.run("audit", "verify")
        #expect(noKey.status == 3)
        #expect(noKey.errors.contains("no public key at"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.file("keys/audit.key")))
    }
}
