import Foundation
import GRDB
import RightsKernel

/// A message as the outbox holds it.
public struct OutboxMessage: Sendable, Equatable, Codable {
    public var id: Int64
    public var createdAt: Date
    public var message: OutboundMessage
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
        try db.cachedStatement(sql: "INSERT INTO outbox (request_id, kind, recipient_kind, recipient_value, title, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(
            arguments: [message.request?.rawValue, message.kind, message.recipient.kind, message.recipient.value, message.title, message.body, time.timeIntervalSince1970]
        )
    }

    /// The queued messages, oldest first, optionally only those of one request.
    public func outbox(request: RequestID? = nil) async throws -> [OutboxMessage] {
        try await database.read { db in
            let rows = if let request {
                try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE request_id = ? ORDER BY id", arguments: [request.rawValue])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY id")
            }
            return rows.map { row in
                let requestID: String? = row["request_id"]
                return OutboxMessage(
                    id: row["id"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]),
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
}
