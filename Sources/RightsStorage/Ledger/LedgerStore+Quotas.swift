import Foundation
import RightsKernel

extension LedgerStore {
    /// The statement that counts one quota's action inside the commit's transaction: it inserts
    /// the action only while the window has room and no cooldown runs, and returns a row when it
    /// did. The commit takes a lock on the quota's key first where several writers share the
    /// database (SQLite's one writer serialises anyway), so concurrent filings cannot both take
    /// the last place.
    func countStatement(_ quota: IntakeQuota, at now: Double) -> SQLStatement {
        let key = quota.key.rawValue
        let action = quota.action.rawValue
        let counted = quota.counting.rawValue
        let cooldown: SQLStatement =
            quota.cooldown > 0 ? " AND NOT EXISTS (SELECT 1 FROM intake_events WHERE key = \(key) AND at > \(now - quota.cooldown))" : ""
        return """
            INSERT INTO intake_events (key, action, at)
            SELECT \(key), \(action), \(now)
            WHERE (SELECT COUNT(*) FROM intake_events WHERE key = \(key) AND action = \(counted) AND at > \(now - quota.window)) < \(quota.limit)\(cooldown)
            RETURNING 1 AS counted
            """
    }

    /// Why `quota` refused the action: when it will be accepted again (the only path that reads
    /// the window back).
    func refusal(_ quota: IntakeQuota, at now: Double, on connection: any SQLConnection) async throws -> IntakeQuotaExceeded {
        let key = quota.key.rawValue
        let action = quota.counting.rawValue
        let windowStart = now - quota.window
        if quota.cooldown > 0,
            let last = try await connection.query("SELECT MAX(at) AS last FROM intake_events WHERE key = \(key)").first?
                .decode("last", as: Double?.self),
            last + quota.cooldown > now
        {
            return IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: last + quota.cooldown))
        }
        let oldest = try await connection.query(
            "SELECT MIN(at) AS oldest FROM intake_events WHERE key = \(key) AND action = \(action) AND at > \(windowStart)"
        ).first?.decode("oldest", as: Double?.self)
        return IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: (oldest ?? now) + quota.window))
    }
}
