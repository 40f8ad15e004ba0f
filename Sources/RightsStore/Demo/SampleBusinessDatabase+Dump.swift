import GRDB

extension SampleBusinessDatabase {
    /// Every row of the sample database as text, optionally leaving out one subject's rows, so
    /// tests can prove that nothing else changed.
    public static func dump(path: String, excludingSubject subject: Int? = nil) throws -> String {
        let queue = try DatabaseQueue(path: path)
        let other = subject ?? -1
        let queries = [
            ("accounts", "SELECT * FROM accounts WHERE id != \(other) ORDER BY id"),
            ("third_party_logins", "SELECT * FROM third_party_logins WHERE account_id != \(other) ORDER BY id"),
            ("login_devices", "SELECT * FROM login_devices WHERE account_id != \(other) ORDER BY id"),
            ("orders", "SELECT * FROM orders WHERE account_id != \(other) ORDER BY id"),
            (
                "transactions",
                "SELECT t.* FROM transactions t JOIN orders o ON t.order_id = o.id WHERE o.account_id != \(other) ORDER BY t.id"
            ),
            ("activated_services", "SELECT * FROM activated_services WHERE account_id != \(other) ORDER BY id"),
            ("consents", "SELECT * FROM consents WHERE account_id != \(other) ORDER BY id"),
            ("support_tickets", "SELECT * FROM support_tickets WHERE contact_email != '\(email(other))' ORDER BY id"),
        ]
        return try queue.read { db in
            try queries.map { table, sql in
                try Row.fetchAll(db, sql: sql).map { "\(table) \($0)" }.joined(separator: "\n")
            }.joined(separator: "\n")
        }
    }
}
