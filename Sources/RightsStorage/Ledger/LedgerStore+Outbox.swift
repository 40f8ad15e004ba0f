public import Foundation
public import RightsKernel

extension LedgerStore: Notifier {
    /// Queues the message in the outbox; a delivery worker (or `rightskit outbox`) reads it.
    /// Messages of a state change or a step are queued in that change's own transaction instead.
    public func send(_ message: OutboundMessage) async throws {
        let now = clock.now.sqlSeconds
        try await transaction { connection in try await self.enqueue([message], at: now, on: connection) }
    }

    /// Queues inside the caller's transaction (the transactional outbox), in one statement.
    /// Each row keeps the recipient's salted hash beside the value, so minimising later is one
    /// statement whatever the rows hold.
    func enqueue(_ messages: [OutboundMessage], at now: Double, on connection: any SQLConnection) async throws {
        if let statement = enqueueStatement(messages, at: now) { try await connection.query(statement) }
    }

    /// The statement that queues `messages`; nil for none.
    func enqueueStatement(_ messages: [OutboundMessage], at now: Double) -> SQLStatement? {
        guard !messages.isEmpty else { return nil }
        let rows = messages.map { message -> SQLStatement in
            """
            (\(message.request?.rawValue), \(message.kind.rawValue), \(message.recipient.kind), \(message.recipient.value),
             \(subjectKey(for: message.recipient).rawValue), \(message.title), \(message.body), \(now))
            """
        }
        return "INSERT INTO outbox (request_id, kind, recipient_kind, recipient_value, recipient_hash, title, body, created_at) VALUES "
            + SQLStatement.joined(rows, separator: ", ")
    }

    /// Gives every message queued before recipients' hashes were kept its hash, once, when the
    /// store opens.
    package func hashRecipientsOfEarlierMessages() async throws {
        let rows = try await run(
            "SELECT id, recipient_kind, recipient_value FROM outbox WHERE recipient_hash IS NULL AND minimised = \(false)")
        for row in rows {
            let recipient = SubjectIdentity(kind: try row.decode("recipient_kind"), value: try row.decode("recipient_value"))
            try await run(
                "UPDATE outbox SET recipient_hash = \(subjectKey(for: recipient).rawValue) WHERE id = \(try row.decode("id", as: Int64.self))"
            )
        }
    }

    /// The queued and delivered messages, oldest first, optionally only those of one request.
    public func outbox(request: RequestID?, after: Int64, limit: Int?) async throws -> [OutboxMessage] {
        let filter: SQLStatement = request.map { " AND request_id = \($0.rawValue)" } ?? ""
        let page: SQLStatement = limit.map { " LIMIT \($0)" } ?? ""
        return try await run(
            """
            SELECT id, created_at, delivered_at, minimised, kind, recipient_kind, recipient_value, title, body, request_id FROM outbox
            WHERE id > \(after)\(filter)
            ORDER BY id\(page)
            """
        ).map { row in
            OutboxMessage(
                id: try row.decode("id"),
                createdAt: Date(timeIntervalSince1970: try row.decode("created_at")),
                deliveredAt: try row.decode("delivered_at", as: Double?.self).map(Date.init(timeIntervalSince1970:)),
                minimised: try row.decode("minimised"),
                message: try Self.message(row)
            )
        }
    }

    /// Claims pending messages a batch at a time, skipping those another deliverer is claiming,
    /// so deliverers in every process share the queue without sending one twice while a claim
    /// holds; each delivered message is then minimised. A message whose delivery fails keeps
    /// its claim for `lease`, so it is retried on a later pass rather than at once.
    public func deliver(via delivery: any MessageDelivery, lease: TimeInterval, lane: OutboxLane) async throws -> OutboxDeliveryReport {
        var report = OutboxDeliveryReport()
        let callback = MessageKind.statusCallback.rawValue
        let inLane: SQLStatement = lane == .callbacks ? "kind = \(callback)" : "kind <> \(callback)"
        var after: Int64 = 0
        while true {
            let now = clock.now.sqlSeconds
            let batch = try await run(
                """
                UPDATE outbox SET delivering_until = \(now + lease)
                WHERE id IN (SELECT id FROM outbox WHERE id > \(after) AND delivered_at IS NULL AND minimised = \(false) AND \(inLane)
                               AND (delivering_until IS NULL OR delivering_until <= \(now))
                             ORDER BY id LIMIT 100\(raw: dialect.lockSkippingLocked))
                RETURNING id, kind, recipient_kind, recipient_value, title, body, request_id
                """
            ).map { (id: try $0.decode("id", as: Int64.self), message: try Self.message($0)) }.sorted { $0.id < $1.id }
            guard let last = batch.last else { return report }
            after = last.id
            for (id, message) in batch {
                do {
                    try await delivery.deliver(message, reference: id)
                } catch {
                    report.failed += 1
                    report.firstFailure = report.firstFailure ?? error
                    continue
                }
                try await run(
                    """
                    UPDATE outbox SET delivered_at = \(clock.now.sqlSeconds), delivering_until = NULL,
                        recipient_value = \(subjectKey(for: message.recipient).rawValue), recipient_hash = NULL, title = '', body = '',
                        minimised = \(true)
                    WHERE id = \(id)
                    """)
                report.delivered += 1
            }
        }
    }

    public func minimiseUndelivered(queuedBefore cutoff: Date) async throws -> Int {
        try await run(
            """
            UPDATE outbox SET recipient_value = recipient_hash, title = '', body = '', minimised = \(true)
            WHERE delivered_at IS NULL AND minimised = \(false) AND recipient_hash IS NOT NULL AND created_at < \(cutoff.sqlSeconds)
            RETURNING id
            """
        ).count
    }

    /// Minimises a request's code messages (`onlyCodes`) or every delivered message of it:
    /// kind, time and a salted hash of the recipient stay; title and body go.
    static func minimiseStatement(of request: RequestID, onlyCodes: Bool) -> SQLStatement {
        let filter: SQLStatement = onlyCodes ? "kind = \(MessageKind.verificationCode.rawValue)" : "delivered_at IS NOT NULL"
        return """
            UPDATE outbox SET recipient_value = recipient_hash, title = '', body = '', minimised = \(true)
            WHERE request_id = \(request.rawValue) AND minimised = \(false) AND recipient_hash IS NOT NULL AND \(filter)
            """
    }

    private static func message(_ row: SQLRow) throws -> OutboundMessage {
        OutboundMessage(
            kind: MessageKind(rawValue: try row.decode("kind")),
            recipient: SubjectIdentity(kind: try row.decode("recipient_kind"), value: try row.decode("recipient_value")),
            title: try row.decode("title"), body: try row.decode("body"),
            request: try row.decode("request_id", as: String?.self).flatMap(RequestID.init))
    }
}

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
