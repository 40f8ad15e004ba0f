import Foundation
public import RightsKernel

extension LedgerStore {
    /// Queues `message` and records `event` in one transaction, unless the notice `kind` was
    /// already sent for `request`; true when this call sent it. Any number of servers may run
    /// reminders at once: each notice goes out once.
    public func sendOnce(_ kind: DeadlineNotice, about request: RequestID, message: OutboundMessage, event: AuditEvent) async throws -> Bool
    {
        let time = clock.now
        let now = time.sqlSeconds
        let sent = try await transaction { connection -> Bool in
            let inserted = try await !connection.query(
                """
                INSERT INTO deadline_notices (request_id, kind, sent_at) VALUES (\(request.rawValue), \(kind.rawValue), \(now))
                ON CONFLICT DO NOTHING RETURNING 1 AS inserted
                """
            ).isEmpty
            guard inserted else { return false }
            try await self.enqueue([message], at: now, on: connection)
            try await self.appendAudit([event], at: time, on: connection)
            return true
        }
        auditAppended()
        return sent
    }

    /// Whether the notice `kind` was sent for `request`.
    public func sent(_ kind: DeadlineNotice, about request: RequestID) async throws -> Bool {
        try await !run("SELECT 1 AS sent FROM deadline_notices WHERE request_id = \(request.rawValue) AND kind = \(kind.rawValue)").isEmpty
    }
}

/// A notice to operators about a request's deadline.
public enum DeadlineNotice: String, Sendable, CaseIterable {
    /// The deadline is near.
    case reminder = "deadline-reminder"
    /// The deadline passed with the request still open.
    case overdue = "deadline-overdue"
}
