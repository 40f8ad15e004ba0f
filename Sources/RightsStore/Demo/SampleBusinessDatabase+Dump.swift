import GRDB
public import RightsKernel

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
            var limits: [(String, String)] = []
            if try db.tableExists("rightskit_processing_limits") {
                limits = [
                    (
                        "rightskit_processing_limits",
                        Self.limitsQuery(excluding: other, select: "l.table_name, l.row_key, l.purposes, l.basis")
                    )
                ]
            }
            // Line by line, so a table that exists but holds nothing of anyone else's reads the
            // same as a table not yet created.
            return try (queries + limits).flatMap { table, sql in
                try Row.fetchAll(db, sql: sql).map { "\(table) \($0)" }
            }.joined(separator: "\n")
        }
    }

    /// The limits on processing recorded on the rows of one subject, read as the host
    /// application reads them: plain SQL on `rightskit_processing_limits`.
    public static func processingLimits(path: String, subject: Int) throws -> [ProcessingLimit] {
        try DatabaseQueue(path: path).read { db in
            guard try db.tableExists("rightskit_processing_limits") else { return [] }
            let sql = Self.limitsQuery(excluding: nil, only: subject, select: "l.purposes, l.basis")
            return try Row.fetchAll(db, sql: sql).map { row in
                let purposes: String? = row["purposes"]
                return ProcessingLimit(purposes: purposes.map { $0.split(separator: ",").map(String.init) }, basis: row["basis"])
            }
        }
    }

    /// The limits on rows that belong to `only` (or to anyone but `excluding`).
    static func limitsQuery(excluding other: Int? = nil, only subject: Int? = nil, select: String) -> String {
        let owner = subject.map { "= \($0)" } ?? "!= \(other ?? -1)"
        let contact = subject.map { "= '\(Self.email($0))'" } ?? "!= '\(Self.email(other ?? -1))'"
        return """
            SELECT \(select) FROM rightskit_processing_limits l WHERE
                (l.table_name = 'accounts' AND CAST(l.row_key AS INTEGER) IN (SELECT id FROM accounts WHERE id \(owner)))
                OR (l.table_name IN ('third_party_logins', 'login_devices', 'orders', 'activated_services', 'consents')
                    AND CAST(l.row_key AS INTEGER) IN (SELECT id FROM third_party_logins WHERE account_id \(owner) AND l.table_name = 'third_party_logins'
                        UNION ALL SELECT id FROM login_devices WHERE account_id \(owner) AND l.table_name = 'login_devices'
                        UNION ALL SELECT id FROM orders WHERE account_id \(owner) AND l.table_name = 'orders'
                        UNION ALL SELECT id FROM activated_services WHERE account_id \(owner) AND l.table_name = 'activated_services'
                        UNION ALL SELECT id FROM consents WHERE account_id \(owner) AND l.table_name = 'consents'))
                OR (l.table_name = 'transactions' AND CAST(l.row_key AS INTEGER) IN
                    (SELECT t.id FROM transactions t JOIN orders o ON t.order_id = o.id WHERE o.account_id \(owner)))
                OR (l.table_name = 'support_tickets' AND CAST(l.row_key AS INTEGER) IN (SELECT id FROM support_tickets WHERE lower(contact_email) \(contact)))
            ORDER BY l.table_name, l.row_key, l.id
            """
    }
}
