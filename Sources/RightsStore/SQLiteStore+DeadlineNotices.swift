public import Foundation
import GRDB
public import RightsKernel

/// A notice to operators about a request's deadline.
public enum DeadlineNotice: String, Sendable, CaseIterable {
    /// The deadline is near.
    case reminder = "deadline-reminder"
    /// The deadline passed with the request still open.
    case overdue = "deadline-overdue"
}

extension SQLiteStore {
    /// Whether the ledger answers a query.
    public func isReachable() async -> Bool {
        (try? await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Queues `message` and records `event` in one transaction, unless the notice `kind` was
    /// already sent for `request`; true when this call sent it. Any number of servers may run
    /// reminders at once: each notice goes out once.
    public func sendOnce(_ kind: DeadlineNotice, about request: RequestID, message: OutboundMessage, event: AuditEvent) async throws -> Bool
    {
        let time = clock.now
        return try await database.write { db in
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO deadline_notices (request_id, kind, sent_at) VALUES (?, ?, ?)")
                .execute(arguments: [request.rawValue, kind.rawValue, time.timeIntervalSince1970])
            guard db.changesCount > 0 else { return false }
            try Self.enqueue(message, at: time, in: db)
            try self.appendAudit(event, at: time, in: db)
            return true
        }
    }

    /// Whether the notice `kind` was sent for `request`.
    public func sent(_ kind: DeadlineNotice, about request: RequestID) async throws -> Bool {
        try await database.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT 1 FROM deadline_notices WHERE request_id = ? AND kind = ?", arguments: [request.rawValue, kind.rawValue])
                ?? false
        }
    }

    /// How many requests are in each right and state, for metrics; a count, never a row.
    public func requestCounts() async throws -> [(right: String, state: String, count: Int)] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT right, state, COUNT(*) AS n FROM requests GROUP BY right, state").map {
                ($0["right"], $0["state"], $0["n"])
            }
        }
    }

    /// Open requests whose deadline passed by `time`.
    public func overdueCount(at time: Date) async throws -> Int {
        let open = RequestState.allCases.filter { !$0.isFinal }.map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try await database.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM requests WHERE due_at < ? AND state IN (\(open))", arguments: [time.timeIntervalSince1970])
                ?? 0
        }
    }
}
