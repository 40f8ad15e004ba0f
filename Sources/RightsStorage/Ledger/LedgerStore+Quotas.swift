import Foundation
import RightsKernel

extension LedgerStore {
    /// Checks one quota and counts the action inside the commit's transaction, under a lock on
    /// the quota's key (or the database's single writer), so concurrent filings on any instance
    /// cannot both take the last place.
    func count(_ quota: IntakeQuota, at now: Double, on connection: any SQLConnection) async throws {
        let key = quota.key.rawValue
        let action = quota.action.rawValue
        let windowStart = now - quota.window
        if let lock = dialect.transactionLock { try await connection.query(lock(.text(key), false)) }
        try await connection.query("DELETE FROM intake_events WHERE key = \(key) AND action = \(action) AND at <= \(windowStart)")
        if quota.cooldown > 0,
            let last = try await connection.query("SELECT MAX(at) AS last FROM intake_events WHERE key = \(key)").first?
                .decode("last", as: Double?.self),
            last + quota.cooldown > now
        {
            throw IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: last + quota.cooldown))
        }
        let row = try await connection.query(
            "SELECT COUNT(*) AS used, MIN(at) AS oldest FROM intake_events WHERE key = \(key) AND action = \(action) AND at > \(windowStart)"
        ).first
        let used: Int = try row?.decode("used") ?? 0
        if used >= quota.limit {
            let oldest = (try row?.decode("oldest", as: Double?.self)) ?? now
            throw IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: oldest + quota.window))
        }
        try await connection.query("INSERT INTO intake_events (key, action, at) VALUES (\(key), \(action), \(now))")
    }
}
