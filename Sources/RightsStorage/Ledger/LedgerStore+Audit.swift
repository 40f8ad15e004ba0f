public import Crypto
import Foundation
public import RightsKernel
import Synchronization

extension LedgerStore: AuditLog {
    public func append(_ event: AuditEvent) async throws {
        let time = clock.now
        try await transaction { connection in try await self.appendAudit([event], at: time, on: connection) }
        auditAppended()
    }

    public func entries(for request: RequestID) async throws -> [AuditEntry] {
        try await linkPendingAudit()
        return try await run(
            "SELECT seq, time, actor, action, request_id, details, prev_hash, hash FROM audit_entries WHERE request_id = \(request.rawValue) ORDER BY seq"
        ).map(Self.entry)
    }

    /// Reads entries, head and checkpoints in one snapshot, so a chain being appended to by
    /// other writers is read whole.
    public func auditChain() async throws -> AuditChainSnapshot {
        try await linkPendingAudit()
        return try await executor.snapshot { connection in
            let entries = try await connection.query(
                "SELECT seq, time, actor, action, request_id, details, prev_hash, hash FROM audit_entries ORDER BY seq"
            ).map(Self.entry)
            let head = try await connection.query("SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0").first.map {
                AuditChain.Head(sequence: try $0.decode("seq"), hash: try $0.decode("hash"))
            }
            let checkpoints = try await connection.query("SELECT seq, hash, signed_at, signature FROM audit_checkpoints ORDER BY seq").map(
                Self.checkpoint)
            return AuditChainSnapshot(entries: entries, head: head, checkpoints: checkpoints)
        }
    }

    /// Signs the chain's head, but only over a chain verified from the newest checkpoint (itself
    /// verified) to the head: a cut tail, a rewritten head or entries changed since are refused
    /// (``AuditCheckpointRefused``) and nothing is signed, so a checkpoint never seals tampering.
    /// With nothing appended since the newest checkpoint, that checkpoint is the answer.
    public func checkpoint(signingKey: Curve25519.Signing.PrivateKey) async throws -> AuditCheckpoint? {
        try await linkPendingAudit()
        let time = clock.now
        let keyBytes = signingKey.rawRepresentation  // the key type is not Sendable; its bytes are
        return try await transaction { connection in
            guard
                let headRow = try await connection.query(
                    "SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0\(raw: self.dialect.lockForUpdate)"
                ).first
            else { return nil }
            let head = AuditChain.Head(sequence: try headRow.decode("seq"), hash: try headRow.decode("hash"))
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
            let newest = try await connection.query(
                "SELECT seq, hash, signed_at, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 2"
            )
            .map(Self.checkpoint)
            let last = newest.first
            if let last, !last.isSigned(by: key.publicKey, after: newest.dropFirst().first) {
                throw AuditCheckpointRefused(
                    found: newest.count > 1 ? .checkpointDeleted(before: last.sequence) : .forgedCheckpoint(sequence: last.sequence))
            }
            let from = last?.sequence ?? 1
            let entries = try await connection.query(
                "SELECT seq, time, actor, action, request_id, details, prev_hash, hash FROM audit_entries WHERE seq >= \(from) ORDER BY seq"
            ).map(Self.entry)
            if let problem = try AuditChain.problemSince(last, entries: entries, head: head) {
                throw AuditCheckpointRefused(found: problem)
            }
            if let last, last.sequence == head.sequence { return last }
            let checkpoint = try AuditCheckpoint.sign(sequence: head.sequence, hash: head.hash, at: time, after: last, with: key)
            try await connection.query(
                """
                INSERT INTO audit_checkpoints (seq, hash, signed_at, signature)
                VALUES (\(checkpoint.sequence), \(checkpoint.hash), \(checkpoint.signedAt), \(checkpoint.signature))
                """)
            return checkpoint
        }
    }

    public func unauditedRequest() async throws -> RequestID? {
        try await linkPendingAudit()
        let row = try await run(
            "SELECT id FROM requests r WHERE NOT EXISTS (SELECT 1 FROM audit_entries a WHERE a.request_id = r.id) LIMIT 1"
        ).first
        return try row.flatMap { RequestID(try $0.decode("id", as: String.self)) }
    }

    static func checkpoint(_ row: SQLRow) throws -> AuditCheckpoint {
        AuditCheckpoint(
            sequence: try row.decode("seq"), hash: try row.decode("hash"), signedAt: try row.decode("signed_at"),
            signature: try row.decode("signature"))
    }

    public func simulatedEntries() async throws -> Int {
        try await linkPendingAudit()
        return try await run("SELECT COUNT(*) AS n FROM audit_entries WHERE \(raw: dialect.jsonField("details", "clock")) = 'simulated'")
            .first?.decode("n") ?? 0
    }

    /// Appends `events` inside the caller's transaction, so a state change and its entries
    /// commit together, in one statement. Where the database has one writer at a time they are
    /// chained at once; elsewhere they go to `audit_pending`, committed with their change, and a
    /// linker chains them after (``linkPendingAudit()``), so commits never queue on the chain's
    /// head. Under a simulated clock each entry says so (`clock: simulated`), and the mark is
    /// hashed with it, so a rehearsal can never pass for production.
    func appendAudit(_ events: [AuditEvent], at time: Date, on connection: any SQLConnection) async throws {
        for statement in try auditStatements(events, at: time) { try await connection.query(statement) }
    }

    /// The statements that append `events` (one per 500 entries; none for none).
    func auditStatements(_ events: [AuditEvent], at time: Date) throws -> [SQLStatement] {
        let stamp = Timestamp.string(time)
        let entries = try events.map { event in
            var event = event
            if clock.isSimulated { event.details["clock"] = "simulated" }
            return try PendingAuditEntry(time: stamp, event: event)
        }
        return entries.chunked(into: 500).map { batch in
            dialect.chainsAuditInTransaction ? chainStatement(Array(batch)) : pendingStatement(Array(batch))
        }
    }

    private func pendingStatement(_ entries: [PendingAuditEntry]) -> SQLStatement {
        let rows = entries.map { entry -> SQLStatement in
            "(\(entry.time), \(entry.actor), \(entry.action), \(entry.request), \(entry.details), \(entry.content))"
        }
        return "INSERT INTO audit_pending (time, actor, action, request_id, details, content) VALUES " + .joined(rows, separator: ", ")
    }

    /// After a transaction that appended entries as pending: a linking pass soon.
    func auditAppended() {
        guard !dialect.chainsAuditInTransaction else { return }
        linking.schedule(after: .milliseconds(20), store: self)
    }

    /// Chains `entries` after the chain's head in one statement: the database computes each
    /// hash as SHA-256 of the previous hash's text and the entry's canonical content, exactly as
    /// ``AuditEntry`` does (verification is the Swift code's), and the head follows the last
    /// entry (each driver's schema keeps `audit_head` in step with `audit_entries`).
    private func chainStatement(_ batch: [PendingAuditEntry]) -> SQLStatement {
        let rows = batch.enumerated().map { index, entry -> SQLStatement in
            """
            (CAST(\(index + 1) AS BIGINT), CAST(\(entry.time) AS TEXT), CAST(\(entry.actor) AS TEXT), CAST(\(entry.action) AS TEXT),
             CAST(\(entry.request) AS TEXT), CAST(\(entry.details) AS TEXT), CAST(\(entry.content) AS TEXT))
            """
        }
        let next = dialect.sha256Hex("chain.hash || input.content")
        return """
            WITH RECURSIVE input (n, time, actor, action, request_id, details, content) AS (VALUES \(SQLStatement.joined(rows, separator: ", "))),
            head (seq, hash) AS (
                SELECT coalesce(MAX(seq), 0), coalesce(MAX(CASE WHEN seq > 0 THEN hash END), \(AuditEntry.genesisHash))
                FROM audit_head WHERE id = 1),
            chain (n, seq, hash, previous) AS (
                SELECT CAST(0 AS BIGINT), seq, hash, hash FROM head
                UNION ALL
                SELECT chain.n + 1, chain.seq + 1, \(raw: next), chain.hash FROM chain JOIN input ON input.n = chain.n + 1)
            INSERT INTO audit_entries (seq, time, actor, action, request_id, details, prev_hash, hash)
            SELECT chain.seq, input.time, input.actor, input.action, input.request_id, input.details, chain.previous, chain.hash
            FROM chain JOIN input ON input.n = chain.n ORDER BY chain.n
            """
    }

    /// Chains every committed pending entry, oldest first, and returns how many: the head row
    /// is locked first (so the batch is read after any other linker's commit), then a batch is
    /// chained and removed from `audit_pending` in the same transaction.
    @discardableResult
    package func linkPendingAudit() async throws -> Int {
        guard !dialect.chainsAuditInTransaction else { return 0 }
        var linked = 0
        while true {
            let batch = try await transaction { connection -> Int in
                try await connection.query("SELECT seq FROM audit_head WHERE id = 1\(raw: self.dialect.lockForUpdate)")
                let pending = try await connection.query(
                    "SELECT id, time, actor, action, request_id, details, content FROM audit_pending ORDER BY id LIMIT \(Self.linkBatch)")
                guard !pending.isEmpty else { return 0 }
                let entries = try pending.map { row in
                    PendingAuditEntry(
                        time: try row.decode("time"), actor: try row.decode("actor"), action: try row.decode("action"),
                        request: try row.decode("request_id"), details: try row.decode("details"), content: try row.decode("content"))
                }
                for batch in entries.chunked(into: 500) { try await connection.query(self.chainStatement(Array(batch))) }
                let ids = try pending.map { try $0.decode("id", as: Int64.self) }
                try await connection.query("DELETE FROM audit_pending WHERE id IN (\(list: ids))")
                return pending.count
            }
            linked += batch
            guard batch == Self.linkBatch else { return linked }
        }
    }

    private static let linkBatch = 1000

    static func entry(_ row: SQLRow) throws -> AuditEntry {
        AuditEntry(
            sequence: try row.decode("seq"),
            time: try row.decode("time"),
            event: AuditEvent(
                actor: AuditActor(rawValue: try row.decode("actor")), action: AuditAction(rawValue: try row.decode("action")),
                request: try row.decode("request_id", as: String?.self).flatMap(RequestID.init),
                details: try CanonicalJSON.decode([String: String].self, from: Data(try row.decode("details", as: String.self).utf8))),
            previousHash: try row.decode("prev_hash"),
            hash: try row.decode("hash")
        )
    }
}

/// An entry on its way into the chain: its fields as stored and the canonical content its hash
/// covers after the previous hash.
struct PendingAuditEntry: Sendable {
    var time: String
    var actor: String
    var action: String
    var request: String?
    var details: String
    var content: String

    init(time: String, actor: String, action: String, request: String?, details: String, content: String) {
        (self.time, self.actor, self.action, self.request, self.details, self.content) = (time, actor, action, request, details, content)
    }

    init(time: String, event: AuditEvent) throws {
        self.init(
            time: time, actor: event.actor.rawValue, action: event.action.rawValue, request: event.request?.rawValue,
            details: try CanonicalJSON.string(event.details),
            content: String(decoding: try AuditEntry.hashedContent(time: time, event: event), as: UTF8.self))
    }
}

/// When this process next links pending audit entries: at most one pass is waiting at a time.
/// A pass asked for by an append is followed by a trailing one, and so on while passes find
/// entries, so an entry whose transaction committed after a pass is chained within a fraction
/// of a second even when nothing else is appended; reads link first in any case.
final class AuditLinking: Sendable {
    private let waiting = Mutex(false)

    func schedule(after delay: Duration, store: LedgerStore, trailing: Bool = true) {
        let first = waiting.withLock { waiting in
            defer { waiting = true }
            return !waiting
        }
        guard first else { return }
        // Linking is no request's own work: it is recorded in no request's statement log.
        StatementLog.$current.withValue(nil) { schedulePass(after: delay, store: store, trailing: trailing) }
    }

    private func schedulePass(after delay: Duration, store: LedgerStore, trailing: Bool) {
        Task {
            try? await Task.sleep(for: delay)
            waiting.withLock { $0 = false }
            let linked = (try? await store.linkPendingAudit()) ?? 0
            if linked > 0 || trailing { schedule(after: .milliseconds(200), store: store, trailing: false) }
        }
    }
}

extension Array {
    /// The elements in consecutive runs of at most `size`.
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
