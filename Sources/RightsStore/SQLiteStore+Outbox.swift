public import Foundation
import GRDB
public import RightsKernel

/// A message as the outbox holds it. Once delivered (or, for a code, once its request moved on)
/// only its kind, time and a salted hash of the recipient remain: `minimised` is then true and
/// the recipient's value is that hash.
public struct OutboxMessage: Sendable, Equatable, Codable {
    public var id: Int64
    public var createdAt: Date
    public var deliveredAt: Date?
    public var minimised: Bool
    public var message: OutboundMessage

    package init(id: Int64, createdAt: Date, deliveredAt: Date?, minimised: Bool, message: OutboundMessage) {
        self.id = id
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.minimised = minimised
        self.message = message
    }
}

/// What one pass over the outbox did.
public struct OutboxDeliveryReport: Sendable {
    public var delivered = 0
    /// Messages whose delivery failed; each stays claimed for the lease, then is tried again.
    public var failed = 0
    package var firstFailure: (any Error)?

    package init() {}
}

extension SQLiteStore: Notifier {
    /// Queues the message in the outbox table; a delivery worker (or `rightskit outbox`) reads it.
    /// Messages of a state change or a step are queued in that change's own transaction instead.
    public func send(_ message: OutboundMessage) async throws {
        let time = clock.now
        try await database.write { db in try Self.enqueue(message, at: time, in: db) }
    }

    /// Queues inside the caller's transaction (the transactional outbox).
    static func enqueue(_ message: OutboundMessage, at time: Date, in db: Database) throws {
        try db.cachedStatement(
            sql:
                "INSERT INTO outbox (request_id, kind, recipient_kind, recipient_value, title, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ).execute(
            arguments: [
                message.request?.rawValue, message.kind, message.recipient.kind, message.recipient.value, message.title, message.body,
                time.timeIntervalSince1970,
            ]
        )
    }

    /// The queued messages, oldest first, optionally only those of one request.
    public func outbox(request: RequestID?) async throws -> [OutboxMessage] {
        try await database.read { db in
            let rows =
                if let request {
                    try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE request_id = ? ORDER BY id", arguments: [request.rawValue])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY id")
                }
            return rows.map { row in
                let requestID: String? = row["request_id"]
                let delivered: Double? = row["delivered_at"]
                return OutboxMessage(
                    id: row["id"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    deliveredAt: delivered.map(Date.init(timeIntervalSince1970:)),
                    minimised: row["minimised"],
                    message: OutboundMessage(
                        kind: row["kind"],
                        recipient: SubjectIdentity(kind: row["recipient_kind"], value: row["recipient_value"]),
                        title: row["title"],
                        body: row["body"],
                        request: requestID.flatMap(RequestID.init)
                    )
                )
            }
        }
    }

    /// Delivers every pending message it can claim, going on past failures: a message whose
    /// delivery fails keeps its claim until the lease runs out, so it is retried on a later pass
    /// rather than at once.
    public func deliver(via delivery: any MessageDelivery, lease: TimeInterval = 60) async throws -> OutboxDeliveryReport {
        let candidates = try await database.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM outbox WHERE delivered_at IS NULL AND minimised = 0 ORDER BY id")
        }
        var report = OutboxDeliveryReport()
        for id in candidates {
            let now = clock.now.timeIntervalSince1970
            let claimed = try await database.write { db -> OutboundMessage? in
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            UPDATE outbox SET delivering_until = ?
                            WHERE id = ? AND delivered_at IS NULL AND minimised = 0 AND (delivering_until IS NULL OR delivering_until <= ?)
                            RETURNING request_id, kind, recipient_kind, recipient_value, title, body
                            """), arguments: [now + lease, id, now])
                return row.map { row in
                    let requestID: String? = row["request_id"]
                    return OutboundMessage(
                        kind: row["kind"], recipient: SubjectIdentity(kind: row["recipient_kind"], value: row["recipient_value"]),
                        title: row["title"], body: row["body"], request: requestID.flatMap(RequestID.init)
                    )
                }
            }
            guard let message = claimed else { continue }  // another deliverer has it, or it went
            do {
                try await delivery.deliver(message, reference: id)
            } catch {
                report.failed += 1
                report.firstFailure = report.firstFailure ?? error
                continue
            }
            let time = clock.now.timeIntervalSince1970
            try await database.write { db in
                try db.cachedStatement(sql: "UPDATE outbox SET delivered_at = ?, delivering_until = NULL WHERE id = ?").execute(arguments: [
                    time, id,
                ])
                try self.minimise(row: id, recipient: message.recipient, in: db)
            }
            report.delivered += 1
        }
        return report
    }

    /// Minimises a request's code messages (`onlyCodes`) or every delivered message of it.
    func minimiseMessages(of request: RequestID, onlyCodes: Bool, in db: Database) throws {
        let filter = onlyCodes ? "kind = 'verification-code'" : "delivered_at IS NOT NULL"
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT id, recipient_kind, recipient_value FROM outbox WHERE request_id = ? AND minimised = 0 AND \(filter)"),
            arguments: [request.rawValue])
        for row in rows {
            try minimise(row: row["id"], recipient: SubjectIdentity(kind: row["recipient_kind"], value: row["recipient_value"]), in: db)
        }
    }

    /// Keeps kind, time and a salted hash of the recipient; title and body go.
    private func minimise(row id: Int64, recipient: SubjectIdentity, in db: Database) throws {
        try db.cachedStatement(sql: "UPDATE outbox SET recipient_value = ?, title = '', body = '', minimised = 1 WHERE id = ?")
            .execute(arguments: [subjectKey(for: recipient).rawValue, id])
    }
}
