public import Crypto
import Foundation
import GRDB
public import RightsKernel

extension SQLiteStore: AuditLog {
    public func append(_ event: AuditEvent) async throws {
        let time = clock.now
        try await database.write { db in try self.appendAudit(event, at: time, in: db) }
    }

    public func entries(for request: RequestID) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_entries WHERE request_id = ? ORDER BY seq", arguments: [request.rawValue]).map(
                Self.entry)
        }
    }

    public func checkpoint(signingKey: Curve25519.Signing.PrivateKey) async throws -> AuditCheckpoint? {
        let time = clock.now
        let keyBytes = signingKey.rawRepresentation  // the key type is not Sendable; its bytes are
        return try await database.write { db in
            guard let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE id = 1")) else { return nil }
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
            let checkpoint = try AuditCheckpoint.sign(sequence: head["seq"], hash: head["hash"], at: time, with: key)
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO audit_checkpoints (seq, hash, signed_at, signature) VALUES (?, ?, ?, ?)")
                .execute(
                    arguments: [checkpoint.sequence, checkpoint.hash, checkpoint.signedAt, checkpoint.signature]
                )
            return checkpoint
        }
    }

    public func auditChain() async throws -> AuditChainSnapshot {
        try await database.read { db in
            let entries = try Row.fetchAll(db, sql: "SELECT * FROM audit_entries ORDER BY seq").map(Self.entry)
            let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE id = 1")).map {
                AuditChain.Head(sequence: $0["seq"], hash: $0["hash"])
            }
            let checkpoints = try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq").map {
                AuditCheckpoint(sequence: $0["seq"], hash: $0["hash"], signedAt: $0["signed_at"], signature: $0["signature"])
            }
            return AuditChainSnapshot(entries: entries, head: head, checkpoints: checkpoints)
        }
    }

    public func simulatedEntries() async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entries WHERE json_extract(details, '$.clock') = 'simulated'") ?? 0
        }
    }

    /// Appends inside the caller's transaction, so a state change and its entry commit together.
    /// Under a simulated clock the entry says so (`clock: simulated`), and the mark is hashed
    /// with it, so a rehearsal can never pass for production.
    func appendAudit(_ event: AuditEvent, at time: Date, in db: Database) throws {
        var event = event
        if clock.isSimulated { event.details["clock"] = "simulated" }
        let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE id = 1"))
        let sequence: Int64 = (head?["seq"] ?? 0) + 1
        let previous: String = head?["hash"] ?? AuditEntry.genesisHash
        let entry = try AuditEntry.chained(sequence: sequence, time: Timestamp.string(time), event: event, previousHash: previous)
        try db.cachedStatement(
            sql:
                "INSERT INTO audit_entries (seq, time, actor, action, request_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ).execute(
            arguments: [
                entry.sequence, entry.time, event.actor, event.action, event.request?.rawValue,
                try CanonicalJSON.string(event.details), entry.previousHash, entry.hash,
            ]
        )
        try db.cachedStatement(
            sql:
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
        ).execute(
            arguments: [entry.sequence, entry.hash]
        )
    }

    static func entry(_ row: Row) throws -> AuditEntry {
        let details = try CanonicalJSON.decode([String: String].self, from: Data((row["details"] as String).utf8))
        let requestID: String? = row["request_id"]
        return AuditEntry(
            sequence: row["seq"],
            time: row["time"],
            event: AuditEvent(actor: row["actor"], action: row["action"], request: requestID.flatMap(RequestID.init), details: details),
            previousHash: row["prev_hash"],
            hash: row["hash"]
        )
    }
}
