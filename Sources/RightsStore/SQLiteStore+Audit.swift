import Foundation
import GRDB
import RightsKernel

extension SQLiteStore: AuditLog {
    public func append(_ event: AuditEvent) async throws {
        let time = clock.now
        try await database.write { db in try Self.appendAudit(event, at: time, in: db) }
    }

    public func entries(for request: RequestID) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_entries WHERE request_id = ? ORDER BY seq", arguments: [request.rawValue]).map(Self.entry)
        }
    }

    public func verify() async throws -> AuditVerification {
        let (entries, head) = try await database.read { db in
            let entries = try Row.fetchAll(db, sql: "SELECT * FROM audit_entries ORDER BY seq").map(Self.entry)
            let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1").map {
                AuditChain.Head(sequence: $0["seq"], hash: $0["hash"])
            }
            return (entries, head)
        }
        return try AuditChain.verify(entries, head: head)
    }

    /// Appends inside the caller's transaction, so a state change and its entry commit together.
    static func appendAudit(_ event: AuditEvent, at time: Date, in db: Database) throws {
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1")
        let sequence: Int64 = (head?["seq"] ?? 0) + 1
        let previous: String = head?["hash"] ?? AuditEntry.genesisHash
        let entry = try AuditEntry.chained(sequence: sequence, time: Timestamp.string(time), event: event, previousHash: previous)
        try db.execute(
            sql: "INSERT INTO audit_entries (seq, time, actor, action, request_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [entry.sequence, entry.time, event.actor, event.action, event.request?.rawValue,
                        try CanonicalJSON.string(event.details), entry.previousHash, entry.hash]
        )
        try db.execute(
            sql: "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
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
