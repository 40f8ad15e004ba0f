import Foundation
import RightsKernel

/// What moving a SQLite ledger into PostgreSQL copied, table by table.
public struct LedgerImportReport: Sendable, Encodable {
    /// Rows copied per table, in the order copied.
    public var rows: [String: Int] = [:]
}

/// Why a ledger could not be moved; nothing was written.
public struct LedgerImportRefused: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}

extension LedgerStore {
    /// The tables of a ledger, each with its columns and the PostgreSQL type of those that
    /// differ from what SQLite stores (booleans kept as integers there), in an order that
    /// respects references.
    static let importedTables: [(table: String, columns: [String], booleans: Set<String>)] = [
        (
            "requests",
            [
                "id", "right", "subject_key", "state", "received_at", "due_at", "body", "version", "claim_owner", "claim_expires",
                "final_at", "responses_removed", "code_salt", "code_hash", "code_expires_at", "code_attempts", "code_max_attempts",
                "code_consumed", "person_key", "confirmed_at",
            ], ["responses_removed", "code_consumed"]
        ),
        ("journal", ["request_id", "step", "result", "recorded_at"], []),
        ("audit_entries", ["seq", "time", "actor", "action", "request_id", "details", "prev_hash", "hash"], []),
        ("audit_checkpoints", ["seq", "hash", "signed_at", "signature"], []),
        ("holds", ["id", "subject_key", "category", "ground_code", "ground_explanation", "authority", "expires_at", "created_at"], []),
        (
            "outbox",
            [
                "id", "request_id", "kind", "recipient_kind", "recipient_value", "title", "body", "created_at", "delivered_at", "minimised",
                "delivering_until",
            ], ["minimised"]
        ),
        ("intake_events", ["key", "action", "at"], []),
        ("operator_tokens", ["id", "name", "role", "token_hash", "created_at", "revoked_at"], []),
        ("deadline_notices", ["request_id", "kind", "sent_at"], []),
    ]

    /// Copies every row of the ledger `source` (on any driver, its schema current) into this
    /// one in one transaction: requests keep their filing order, holds, messages and tokens
    /// their numbers, and the audit chain its entries and head, so the chain and its signed
    /// checkpoints verify here as they did there. Refuses a ledger that already holds requests
    /// or audit entries.
    public func importLedger(from source: LedgerStore) async throws -> LedgerImportReport {
        let pending = executor.dialect.chainsAuditInTransaction ? "0" : "(SELECT COUNT(*) FROM audit_pending)"
        let dialect = executor.dialect
        let (tables, head) = try await source.executor.snapshot { connection in
            var tables: [[SQLRow]] = []
            for (table, columns, _) in Self.importedTables {
                let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                // In the order written, so requests keep their filing order.
                let order = table == "requests" ? source.executor.dialect.filingOrder : columns[0]
                tables.append(try await connection.query("SELECT \(raw: quoted) FROM \(raw: table) ORDER BY \(raw: order)"))
            }
            return (tables, try await connection.query("SELECT seq, hash FROM audit_head WHERE id = 1").first)
        }
        return try await executor.transaction { connection in
            let existing =
                try await connection.query(
                    """
                    SELECT (SELECT COUNT(*) FROM requests) + (SELECT seq FROM audit_head WHERE id = 1) + \(raw: pending) AS existing
                    """
                ).first?.decode("existing", as: Int.self) ?? 0
            guard existing == 0 else {
                throw LedgerImportRefused(
                    description: "the database to move into already holds a ledger (requests or audit entries); move into an empty one")
            }
            var report = LedgerImportReport()
            for ((table, columns, booleans), rows) in zip(Self.importedTables, tables) {
                let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                for row in rows {
                    let values: [SQLStatement] = columns.map { column in
                        let value = row[column]
                        // Booleans are integers in SQLite, booleans elsewhere.
                        if booleans.contains(column), case .integer(let number) = value { return "\(number != 0)" }
                        if booleans.contains(column), case .boolean(let flag) = value { return "\(flag)" }
                        return "\(value)"
                    }
                    try await connection.query(
                        "INSERT INTO \(raw: table) (\(raw: quoted)) VALUES (" + .joined(values, separator: ", ") + ")")
                }
                report.rows[table] = rows.count
            }
            if let head {
                try await connection.query(
                    "UPDATE audit_head SET seq = \(try head.decode("seq", as: Int64.self)), hash = \(try head.decode("hash", as: String.self)) WHERE id = 1"
                )
            }
            // Numbered tables continue after the copied numbers.
            for table in ["holds", "outbox", "operator_tokens"] {
                if let restart = dialect.continueNumbering?(table, "id") { try await connection.query(restart) }
            }
            return report
        }
    }
}
