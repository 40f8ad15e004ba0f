import Crypto
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("Audit verify catches tampering done directly on the SQLite file")
struct AuditTamperingTests {
    /// A store with eight chained entries, and a plain SQLite connection to the same file.
    func tamperable() async throws -> (store: SQLiteStore, raw: DatabaseQueue, directory: TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let clock = SettableClock()
        let store = try SQLiteStore(path: directory.file("ledger.sqlite"), clock: clock)
        for index in 1...8 {
            clock.advance(by: 1)
            try await store.append(AuditEvent(actor: "system", action: "test.event", details: ["index": "\(index)"]))
        }
        #expect(try await store.verify() == .intact(entries: 8))
        return (store, try DatabaseQueue(path: directory.file("ledger.sqlite")), directory)
    }

    @Test func aModifiedEntryIsNamed() async throws {
        let (store, raw, _) = try await tamperable()
        try await raw.write { db in try db.execute(sql: "UPDATE audit_entries SET details = '{\"index\":\"99\"}' WHERE seq = 4") }
        #expect(try await store.verify() == .modified(sequence: 4))
    }

    @Test func aModifiedActorIsNamed() async throws {
        let (store, raw, _) = try await tamperable()
        try await raw.write { db in try db.execute(sql: "UPDATE audit_entries SET actor = 'operator:mallory' WHERE seq = 7") }
        #expect(try await store.verify() == .modified(sequence: 7))
    }

    @Test func aDeletedEntryIsNamed() async throws {
        let (store, raw, _) = try await tamperable()
        try await raw.write { db in try db.execute(sql: "DELETE FROM audit_entries WHERE seq = 3") }
        #expect(try await store.verify() == .deleted(sequence: 3))
    }

    @Test func aDeletionHiddenByRenumberingIsStillCaught() async throws {
        let (store, raw, _) = try await tamperable()
        try await raw.write { db in
            try db.execute(sql: "DELETE FROM audit_entries WHERE seq = 3")
            try db.execute(sql: "UPDATE audit_entries SET seq = seq - 1 WHERE seq > 3")
            try db.execute(sql: "UPDATE audit_head SET seq = seq - 1")
        }
        #expect(try await store.verify() == .deleted(sequence: 3))
    }

    @Test func reorderedEntriesAreNamed() async throws {
        let (store, raw, _) = try await tamperable()
        // Swap the contents of entries 5 and 6, keeping their positions.
        try await raw.write { db in
            try db.execute(sql: "UPDATE audit_entries SET seq = -5 WHERE seq = 5")
            try db.execute(sql: "UPDATE audit_entries SET seq = 5 WHERE seq = 6")
            try db.execute(sql: "UPDATE audit_entries SET seq = 6 WHERE seq = -5")
        }
        #expect(try await store.verify() == .reordered(sequence: 5))
    }

    @Test func aCutOffTailIsNamed() async throws {
        let (store, raw, _) = try await tamperable()
        try await raw.write { db in try db.execute(sql: "DELETE FROM audit_entries WHERE seq > 5") }
        #expect(try await store.verify() == .cutOff(lastPresent: 5, expected: 8))
    }

    @Test func theChainContinuesAcrossReopening() async throws {
        let (store, _, directory) = try await tamperable()
        _ = store
        let reopened = try SQLiteStore(path: directory.file("ledger.sqlite"))
        try await reopened.append(AuditEvent(actor: "system", action: "test.after-reopen"))
        #expect(try await reopened.verify() == .intact(entries: 9))
    }
}

@Suite("Signed checkpoints catch a chain rewritten consistently, hashes and head included")
struct AuditCheckpointTests {
    /// Rewrites every entry's details and recomputes the whole chain and its head, as someone
    /// with write access to the file and this source code could.
    func rewriteEverything(_ path: String) async throws {
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            var previous = AuditEntry.genesisHash
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_entries ORDER BY seq") {
                let event = AuditEvent(
                    actor: AuditActor(rawValue: row["actor"]), action: AuditAction(rawValue: row["action"]), request: nil,
                    details: ["index": "forged"])
                let entry = try AuditEntry.chained(sequence: row["seq"], time: row["time"], event: event, previousHash: previous)
                try db.execute(
                    sql: "UPDATE audit_entries SET details = ?, request_id = NULL, prev_hash = ?, hash = ? WHERE seq = ?",
                    arguments: [try CanonicalJSON.string(event.details), entry.previousHash, entry.hash, entry.sequence])
                previous = entry.hash
            }
            try db.execute(sql: "UPDATE audit_head SET hash = ?", arguments: [previous])
        }
    }

    @Test func aRewriteThatFoolsTheChainFailsAtTheCheckpoint() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("ledger.sqlite"))
        for index in 1...5 { try await store.append(AuditEvent(actor: "system", action: "test.event", details: ["index": "\(index)"])) }
        let key = try AuditSigningKey.loadOrCreate(
            path: directory.file("keys/audit.key"), publicKeyPath: directory.file("keys/audit.key.pub"))
        let checkpoint = try #require(try await store.checkpoint(signingKey: key))
        #expect(checkpoint.sequence == 5)
        try await store.append(AuditEvent(actor: "system", action: "test.after-checkpoint"))
        #expect(try await store.verify(publicKey: key.publicKey) == .intact(entries: 6))

        try await rewriteEverything(directory.file("ledger.sqlite"))
        #expect(try await store.verify() == .intact(entries: 6), "the bare chain cannot tell")
        #expect(try await store.verify(publicKey: key.publicKey) == .rewritten(sequence: 5))
    }

    @Test func aForgedCheckpointIsNamed() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("ledger.sqlite"))
        try await store.append(AuditEvent(actor: "system", action: "test.event"))
        let key = try AuditSigningKey.loadOrCreate(path: directory.file("audit.key"), publicKeyPath: directory.file("audit.key.pub"))
        _ = try await store.checkpoint(signingKey: Curve25519.Signing.PrivateKey())
        #expect(try await store.verify(publicKey: key.publicKey) == .forgedCheckpoint(sequence: 1))
    }

    @Test func theSigningKeyIsKeptAcrossRuns() throws {
        let directory = try TemporaryDirectory()
        let first = try AuditSigningKey.loadOrCreate(path: directory.file("audit.key"), publicKeyPath: directory.file("audit.key.pub"))
        let second = try AuditSigningKey.loadOrCreate(path: directory.file("audit.key"), publicKeyPath: directory.file("audit.key.pub"))
        #expect(first.publicKey.rawRepresentation == second.publicKey.rawRepresentation)
        let permissions = try FileManager.default.attributesOfItem(atPath: directory.file("audit.key"))[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }
}
