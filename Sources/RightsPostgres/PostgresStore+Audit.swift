import Crypto
import Foundation
import PostgresNIO
import RightsKernel
import RightsStore

extension PostgresStore: AuditLog {
    public func append(_ event: AuditEvent) async throws {
        try await transaction { connection in try await appendAudit([event], on: connection) }
    }

    public func entries(for request: RequestID) async throws -> [AuditEntry] {
        try await run("""
            SELECT seq, time, actor, action, request_id, details, prev_hash, hash FROM audit_entries WHERE request_id = \(request.rawValue) ORDER BY seq
            """).decode((Int64, String, String, String, String?, String, String, String).self).collect().map(Self.entry)
    }

    /// Reads entries, head and checkpoints in one snapshot, so a chain being appended to by
    /// other instances is read whole.
    public func auditChain() async throws -> AuditChainSnapshot {
        try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            let entries = try await connection.query("""
                SELECT seq, time, actor, action, request_id, details, prev_hash, hash FROM audit_entries ORDER BY seq
                """, logger: logger).decode((Int64, String, String, String, String?, String, String, String).self).collect().map(Self.entry)
            let head = try await connection.query("SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0", logger: logger)
                .decode((Int64, String).self).collect().first.map { AuditChain.Head(sequence: $0.0, hash: $0.1) }
            let checkpoints = try await connection.query("SELECT seq, hash, signed_at, signature FROM audit_checkpoints ORDER BY seq", logger: logger)
                .decode((Int64, String, String, String).self).collect()
                .map { AuditCheckpoint(sequence: $0.0, hash: $0.1, signedAt: $0.2, signature: $0.3) }
            return AuditChainSnapshot(entries: entries, head: head, checkpoints: checkpoints)
        }
    }

    public func checkpoint(signingKey: Curve25519.Signing.PrivateKey) async throws -> AuditCheckpoint? {
        let time = clock.now
        let keyBytes = signingKey.rawRepresentation  // the key type is not Sendable; its bytes are
        return try await transaction { connection in
            guard let (sequence, hash) = try await connection.query("SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0 FOR SHARE", logger: logger)
                .decode((Int64, String).self).collect().first else { return nil }
            let checkpoint = try AuditCheckpoint.sign(sequence: sequence, hash: hash, at: time, with: try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes))
            try await connection.query("""
                INSERT INTO audit_checkpoints (seq, hash, signed_at, signature)
                VALUES (\(checkpoint.sequence), \(checkpoint.hash), \(checkpoint.signedAt), \(checkpoint.signature))
                ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, signed_at = excluded.signed_at, signature = excluded.signature
                """, logger: logger)
            return checkpoint
        }
    }

    public func simulatedEntries() async throws -> Int {
        try await run("SELECT COUNT(*) FROM audit_entries WHERE details::jsonb ->> 'clock' = 'simulated'").decode(Int.self).collect().first ?? 0
    }

    /// Appends `events` inside the caller's transaction, under the lock on the chain's head row:
    /// appends from every instance queue there, so the chain stays one. Under a simulated clock
    /// each entry says so, as in the SQLite store.
    func appendAudit(_ events: [AuditEvent], on connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        let time = Timestamp.string(clock.now)
        guard var (sequence, previous) = try await connection.query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE", logger: logger)
            .decode((Int64, String).self).collect().first else { throw PostgresStoreError.missingAuditHead }
        for var event in events {
            if clock.isSimulated { event.details["clock"] = "simulated" }
            sequence += 1
            let entry = try AuditEntry.chained(sequence: sequence, time: time, event: event, previousHash: previous)
            try await connection.query("""
                INSERT INTO audit_entries (seq, time, actor, action, request_id, details, prev_hash, hash)
                VALUES (\(entry.sequence), \(entry.time), \(event.actor), \(event.action), \(event.request?.rawValue),
                        \(try CanonicalJSON.string(event.details)), \(entry.previousHash), \(entry.hash))
                """, logger: logger)
            previous = entry.hash
        }
        try await connection.query("UPDATE audit_head SET seq = \(sequence), hash = \(previous) WHERE id = 1", logger: logger)
    }

    static func entry(_ row: (Int64, String, String, String, String?, String, String, String)) throws -> AuditEntry {
        let details = try CanonicalJSON.decode([String: String].self, from: Data(row.5.utf8))
        return AuditEntry(
            sequence: row.0,
            time: row.1,
            event: AuditEvent(actor: row.2, action: row.3, request: row.4.flatMap(RequestID.init), details: details),
            previousHash: row.6,
            hash: row.7
        )
    }
}

/// The PostgreSQL ledger found in a state its migrations never leave it in.
public enum PostgresStoreError: Error, CustomStringConvertible {
    case missingAuditHead
    /// An insert that returns its new row returned none.
    case nothingReturned(String)

    public var description: String {
        switch self {
        case .missingAuditHead: "the audit chain's head row is missing from the ledger (audit_head)"
        case .nothingReturned(let table): "an insert into \(table) returned no row"
        }
    }
}
