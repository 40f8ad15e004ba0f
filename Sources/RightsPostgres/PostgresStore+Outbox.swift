public import Foundation
import PostgresNIO
public import RightsKernel
public import RightsStore

extension PostgresStore: Notifier {
    public func send(_ message: OutboundMessage) async throws {
        let now = clock.now.timeIntervalSince1970
        try await transaction { connection in try await enqueue([message], at: now, on: connection) }
    }

    /// Queues inside the caller's transaction (the transactional outbox).
    func enqueue(_ messages: [OutboundMessage], at now: Double, on connection: PostgresConnection) async throws {
        for message in messages {
            try await connection.query(
                """
                INSERT INTO outbox (request_id, kind, recipient_kind, recipient_value, title, body, created_at)
                VALUES (\(message.request?.rawValue), \(message.kind), \(message.recipient.kind), \(message.recipient.value),
                        \(message.title), \(message.body), \(now))
                """, logger: logger)
        }
    }

    public func outbox(request: RequestID?) async throws -> [OutboxMessage] {
        try await run(
            """
            SELECT id, created_at, delivered_at, minimised, kind, recipient_kind, recipient_value, title, body, request_id FROM outbox
            WHERE \(request?.rawValue)::text IS NULL OR request_id = \(request?.rawValue) ORDER BY id
            """
        ).decode((Int64, Double, Double?, Bool, String, String, String, String, String, String?).self).collect().map { row in
            OutboxMessage(
                id: row.0,
                createdAt: Date(timeIntervalSince1970: row.1),
                deliveredAt: row.2.map(Date.init(timeIntervalSince1970:)),
                minimised: row.3,
                message: OutboundMessage(
                    kind: row.4, recipient: SubjectIdentity(kind: row.5, value: row.6), title: row.7, body: row.8,
                    request: row.9.flatMap(RequestID.init))
            )
        }
    }

    /// Claims pending messages a batch at a time with `FOR UPDATE SKIP LOCKED`, so deliverers on
    /// every instance share the queue without waiting on each other or sending one twice while
    /// a claim holds; each delivered message is then minimised.
    public func deliver(via delivery: any MessageDelivery, lease: TimeInterval) async throws -> OutboxDeliveryReport {
        var report = OutboxDeliveryReport()
        var after: Int64 = 0
        while true {
            let now = clock.now.timeIntervalSince1970
            let batch = try await run(
                """
                UPDATE outbox SET delivering_until = \(now + lease)
                WHERE id IN (SELECT id FROM outbox WHERE id > \(after) AND delivered_at IS NULL AND NOT minimised
                               AND (delivering_until IS NULL OR delivering_until <= \(now))
                             ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
                RETURNING id, kind, recipient_kind, recipient_value, title, body, request_id
                """
            ).decode((Int64, String, String, String, String, String, String?).self).collect().sorted { $0.0 < $1.0 }
            guard let last = batch.last else { return report }
            after = last.0
            for row in batch {
                let message = OutboundMessage(
                    kind: row.1, recipient: SubjectIdentity(kind: row.2, value: row.3), title: row.4, body: row.5,
                    request: row.6.flatMap(RequestID.init))
                do {
                    try await delivery.deliver(message, reference: row.0)
                } catch {
                    report.failed += 1
                    report.firstFailure = report.firstFailure ?? error
                    continue
                }
                let time = clock.now.timeIntervalSince1970
                try await run(
                    """
                    UPDATE outbox SET delivered_at = \(time), delivering_until = NULL, recipient_value = \(subjectKey(for: message.recipient).rawValue),
                        title = '', body = '', minimised = TRUE
                    WHERE id = \(row.0)
                    """)
                report.delivered += 1
            }
        }
    }

    /// Minimises a request's code messages (`onlyCodes`) or every delivered message of it:
    /// kind, time and a salted hash of the recipient stay; title and body go.
    func minimiseMessages(of request: RequestID, onlyCodes: Bool, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            SELECT id, recipient_kind, recipient_value FROM outbox
            WHERE request_id = \(request.rawValue) AND NOT minimised AND (CASE WHEN \(onlyCodes) THEN kind = 'verification-code' ELSE delivered_at IS NOT NULL END)
            """, logger: logger
        ).decode((Int64, String, String).self).collect()
        for (id, kind, value) in rows {
            let hashed = subjectKey(for: SubjectIdentity(kind: kind, value: value)).rawValue
            try await connection.query(
                "UPDATE outbox SET recipient_value = \(hashed), title = '', body = '', minimised = TRUE WHERE id = \(id)", logger: logger)
        }
    }
}
