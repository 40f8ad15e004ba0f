import Foundation
import GRDB
import RightsKernel

extension SQLiteStore {
    /// Checks one quota and counts the action, inside the commit's transaction (writes are
    /// serialised, so concurrent filings cannot both take the last place).
    static func count(_ quota: IntakeQuota, at time: Date, in db: Database) throws {
        let now = time.timeIntervalSince1970
        let windowStart = now - quota.window
        try db.cachedStatement(sql: "DELETE FROM intake_events WHERE key = ? AND action = ? AND at <= ?")
            .execute(arguments: [quota.key.rawValue, quota.action.rawValue, windowStart])
        if quota.cooldown > 0,
            let last = try Double.fetchOne(
                db.cachedStatement(sql: "SELECT MAX(at) FROM intake_events WHERE key = ?"), arguments: [quota.key.rawValue]),
            last + quota.cooldown > now
        {
            throw IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: last + quota.cooldown))
        }
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT COUNT(*) AS used, MIN(at) AS oldest FROM intake_events WHERE key = ? AND action = ? AND at > ?"),
            arguments: [quota.key.rawValue, quota.action.rawValue, windowStart]
        )
        let used: Int = row?["used"] ?? 0
        if used >= quota.limit {
            let oldest: Double = row?["oldest"] ?? now
            throw IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: oldest + quota.window))
        }
        try db.cachedStatement(sql: "INSERT INTO intake_events (key, action, at) VALUES (?, ?, ?)")
            .execute(arguments: [quota.key.rawValue, quota.action.rawValue, now])
    }
}
