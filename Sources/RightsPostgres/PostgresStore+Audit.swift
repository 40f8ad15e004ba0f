public import Crypto
import Foundation
import PostgresNIO
public import RightsKernel
public import RightsStore
import Synchronization

extension PostgresStore: AuditLog {
    public func append(_ event: AuditEvent) async throws {
        try await transaction { connection in try await appendAudit([event], on: connection) }
    }

    public func entries(for request: RequestID) async throws -> [AuditEntry] {
        try await linkPendingAudit()
        return try await run(
            """
            SELECT seq, time, actor, action, request_id, details, prev_hash, hash FROM audit_entries WHERE request_id = \(request.rawValue) ORDER BY seq
            """
        ).decode((Int64, String, String, String, String?, String, String, String).self).collect().map(Self.entry)
    }

    /// Reads entries, head and checkpoints in one snapshot, so a chain being appended to by
    /// other instances is read whole.
    public func auditChain() async throws -> AuditChainSnapshot {
        try await linkPendingAudit()
        return try await transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            let entries = try await connection.query(
                """
                SELECT seq, time, actor, action, request_id, details, prev_hash, hash FROM audit_entries ORDER BY seq
                """, logger: logger
            ).decode((Int64, String, String, String, String?, String, String, String).self).collect().map(Self.entry)
            let head = try await connection.query("SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0", logger: logger)
                .decode((Int64, String).self).collect().first.map { AuditChain.Head(sequence: $0.0, hash: $0.1) }
            let checkpoints = try await connection.query(
                "SELECT seq, hash, signed_at, signature FROM audit_checkpoints ORDER BY seq", logger: logger
            )
            .decode((Int64, String, String, String).self).collect()
            .map { AuditCheckpoint(sequence: $0.0, hash: $0.1, signedAt: $0.2, signature: $0.3) }
            return AuditChainSnapshot(entries: entries, head: head, checkpoints: checkpoints)
        }
    }

    public func checkpoint(signingKey: Curve25519.Signing.PrivateKey) async throws -> AuditCheckpoint? {
        try await linkPendingAudit()
        let time = clock.now
        let keyBytes = signingKey.rawRepresentation  // the key type is not Sendable; its bytes are
        return try await transaction { connection in
            guard
                let (sequence, hash) = try await connection.query(
                    "SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0 FOR SHARE", logger: logger
                )
                .decode((Int64, String).self).collect().first
            else { return nil }
            let checkpoint = try AuditCheckpoint.sign(
                sequence: sequence, hash: hash, at: time, with: try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes))
            try await connection.query(
                """
                INSERT INTO audit_checkpoints (seq, hash, signed_at, signature)
                VALUES (\(checkpoint.sequence), \(checkpoint.hash), \(checkpoint.signedAt), \(checkpoint.signature))
                ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, signed_at = excluded.signed_at, signature = excluded.signature
                """, logger: logger)
            return checkpoint
        }
    }

    public func simulatedEntries() async throws -> Int {
        try await linkPendingAudit()
        return try await run("SELECT COUNT(*) FROM audit_entries WHERE details::jsonb ->> 'clock' = 'simulated'").decode(Int.self).collect()
            .first ?? 0
    }

    /// Appends `events` inside the caller's transaction without waiting on any other writer: they
    /// go to `audit_pending`, committed with the change they record, each with the canonical
    /// content its hash will cover. A linker (``linkPendingAudit()``) then chains them, oldest
    /// first, under the lock on the chain's head row, one statement for a whole batch: holding
    /// that lock across each request's own round trips made every commit of every instance wait
    /// in line. Under a simulated clock each entry says so.
    func appendAudit(_ events: [AuditEvent], on connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        let time = Timestamp.string(clock.now)
        // Canonical JSON is UTF-8 text; the database (UTF8, as `initdb -E UTF8` and every
        // default cloud PostgreSQL) gives back the same bytes with convert_to.
        var contents: [String] = []
        var actors: [String] = []
        var actions: [String] = []
        var requests: [String] = []
        var details: [String] = []
        for var event in events {
            if clock.isSimulated { event.details["clock"] = "simulated" }
            contents.append(String(decoding: try AuditEntry.hashedContent(time: time, event: event), as: UTF8.self))
            actors.append(event.actor)
            actions.append(event.action)
            requests.append(event.request?.rawValue ?? "")
            details.append(try CanonicalJSON.string(event.details))
        }
        try await connection.query(
            """
            INSERT INTO audit_pending (time, actor, action, request_id, details, content)
            SELECT \(time), actor, action, NULLIF(request_id, ''), details, content
            FROM unnest(\(actors)::text[], \(actions)::text[], \(requests)::text[], \(details)::text[], \(contents)::text[])
                WITH ORDINALITY AS t(actor, action, request_id, details, content, n)
            ORDER BY n
            """, logger: logger)
        linking.schedule(after: .milliseconds(20), store: self)
    }

    /// Chains every committed pending entry, oldest first, and returns how many: the head row
    /// is locked by its own statement first (so the batch is read after any other linker's
    /// commit), then one statement moves the batch into `audit_entries`, each entry's hash
    /// computed by PostgreSQL as SHA-256 of the previous hash's text and the entry's content,
    /// exactly as ``AuditEntry`` computes it, and moves the head.
    @discardableResult
    func linkPendingAudit() async throws -> Int {
        var linked = 0
        while true {
            let batch = try await transaction { connection -> Int in
                try await connection.query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE", logger: logger)
                return try await connection.query(
                    """
                    WITH RECURSIVE moved AS (
                        DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT 5000) RETURNING *),
                    input AS (SELECT moved.*, row_number() OVER (ORDER BY id) AS n FROM moved),
                    chain (n, seq, hash, previous) AS (
                        SELECT 0::bigint, seq, hash, NULL::text FROM audit_head WHERE id = 1
                        UNION ALL
                        SELECT chain.n + 1, chain.seq + 1, encode(sha256(convert_to(chain.hash || input.content, 'UTF8')), 'hex'), chain.hash
                        FROM chain JOIN input ON input.n = chain.n + 1),
                    inserted AS (
                        INSERT INTO audit_entries (seq, time, actor, action, request_id, details, prev_hash, hash)
                        SELECT chain.seq, input.time, input.actor, input.action, input.request_id, input.details, chain.previous, chain.hash
                        FROM chain JOIN input ON input.n = chain.n
                        RETURNING seq, hash)
                    UPDATE audit_head SET seq = last.seq, hash = last.hash
                    FROM (SELECT seq, hash, (SELECT COUNT(*) FROM inserted) AS linked FROM inserted ORDER BY seq DESC LIMIT 1) last
                    WHERE audit_head.id = 1
                    RETURNING last.linked
                    """, logger: logger
                ).decode(Int.self).collect().first ?? 0
            }
            linked += batch
            guard batch == 5000 else { return linked }
        }
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
    /// An insert that returns its new row returned none.
    case nothingReturned(String)

    public var description: String {
        switch self {
        case .nothingReturned(let table): "an insert into \(table) returned no row"
        }
    }
}

/// When this process next links pending audit entries: at most one pass is waiting at a time.
/// A pass asked for by an append is followed by a trailing one, and so on while passes find
/// entries, so an entry whose transaction committed after a pass is chained within a fraction
/// of a second even when nothing else is appended; reads link first in any case.
final class AuditLinking: Sendable {
    private let waiting = Mutex(false)

    func schedule(after delay: Duration, store: PostgresStore, trailing: Bool = true) {
        let first = waiting.withLock { waiting in
            defer { waiting = true }
            return !waiting
        }
        guard first else { return }
        Task {
            try? await Task.sleep(for: delay)
            waiting.withLock { $0 = false }
            let linked = (try? await store.linkPendingAudit()) ?? 0
            if linked > 0 || trailing { schedule(after: .milliseconds(200), store: store, trailing: false) }
        }
    }
}
