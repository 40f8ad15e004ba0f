import Foundation
import RightsKernel

extension LedgerStore {
    /// The one statement that counts every quota of a commit inside its transaction: each
    /// quota's action is inserted only while its window has room and no cooldown runs, and the
    /// rows inserted come back, so fewer rows than quotas means one refused. The commit takes a
    /// lock on each quota's key first where several writers share the database (SQLite's one
    /// writer serialises anyway), so concurrent filings cannot both take the last place.
    func countStatement(_ quotas: [IntakeQuota], at now: Double) -> SQLStatement? {
        guard let room = roomStatement(quotas, at: now) else { return nil }
        return "INSERT INTO intake_events (key, action, at) " + room + " RETURNING 1 AS counted"
    }

    /// One row (key, action, at) for each of `quotas` that has room now.
    private func roomStatement(_ quotas: [IntakeQuota], at now: Double) -> SQLStatement? {
        guard !quotas.isEmpty else { return nil }
        let choices = quotas.map { quota -> SQLStatement in
            let key = quota.key.rawValue
            let cooldown: SQLStatement =
                quota.cooldown > 0
                ? " AND NOT EXISTS (SELECT 1 FROM intake_events WHERE key = \(key) AND at > \(now - quota.cooldown))" : ""
            return """
                SELECT \(key) AS key, \(quota.action.rawValue) AS action, \(now) AS at
                WHERE (SELECT COUNT(*) \(Self.counted(quota, since: now - quota.window))) < \(quota.limit)\(cooldown)
                """
        }
        return SQLStatement.joined(choices, separator: " UNION ALL ")
    }

    /// Which of `quotas` refused a commit that was rolled back, read afresh: the first without
    /// room now (or the first, if the window moved on meanwhile), and when it takes actions again.
    func refusal(_ quotas: [IntakeQuota], at now: Double) async throws -> IntakeQuotaExceeded {
        var roomy: [String] = []
        if let room = roomStatement(quotas, at: now) {
            roomy = try await run(room).map { "\(try $0.decode("key", as: String.self))\u{0}\(try $0.decode("action", as: String.self))" }
        }
        let refused =
            quotas.first { quota in
                guard let index = roomy.firstIndex(of: "\(quota.key.rawValue)\u{0}\(quota.action.rawValue)") else { return true }
                roomy.remove(at: index)
                return false
            } ?? quotas[0]
        return try await transaction { connection in try await self.refusal(refused, at: now, on: connection) }
    }

    /// The rows (as `FROM … WHERE …`, each with its time as `at`) that `quota`'s limit counts
    /// since `since`: its key's intake events, or for confirmations the person's requests, which
    /// carry when the person confirmed them.
    private static func counted(_ quota: IntakeQuota, since: Double) -> SQLStatement {
        let key = quota.key.rawValue
        if quota.counting == .confirmation {
            return "FROM (SELECT confirmed_at AS at FROM requests WHERE person_key = \(key) AND confirmed_at > \(since)) confirmed"
        }
        return "FROM intake_events WHERE key = \(key) AND action = \(quota.counting.rawValue) AND at > \(since)"
    }

    /// Why `quota` refused the action: when it will be accepted again (the only path that reads
    /// the window back).
    func refusal(_ quota: IntakeQuota, at now: Double, on connection: any SQLConnection) async throws -> IntakeQuotaExceeded {
        let key = quota.key.rawValue
        let windowStart = now - quota.window
        if quota.cooldown > 0,
            let last = try await connection.query("SELECT MAX(at) AS last FROM intake_events WHERE key = \(key)").first?
                .decode("last", as: Double?.self),
            last + quota.cooldown > now
        {
            return IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: last + quota.cooldown))
        }
        let oldest = try await connection.query("SELECT MIN(at) AS oldest \(Self.counted(quota, since: windowStart))").first?
            .decode("oldest", as: Double?.self)
        return IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: (oldest ?? now) + quota.window))
    }
}
