import Foundation
import GRDB
import PostgresNIO
import RightsKernel
public import RightsStorage
import RightsStore

/// What moving a SQLite ledger into PostgreSQL copied, table by table.
public struct LedgerImportReport: Sendable, Encodable {
    /// Rows copied per table, in the order copied.
    public var rows: [String: Int] = [:]
}

/// Why a ledger could not be moved; nothing was written.
public struct LedgerImportRefused: Error, CustomStringConvertible {
    public let description: String
}

extension PostgresStore {
    /// The tables of a ledger, each with its columns and the PostgreSQL type of those that
    /// differ from what SQLite stores (booleans kept as integers there), in an order that
    /// respects references.
    static let importedTables: [(table: String, columns: [String], booleans: Set<String>)] = [
        (
            "requests",
            [
                "id", "right", "subject_key", "state", "received_at", "due_at", "body", "version", "claim_owner", "claim_expires",
                "final_at", "responses_removed",
            ], ["responses_removed"]
        ),
        ("journal", ["request_id", "step", "result", "recorded_at"], []),
        ("audit_entries", ["seq", "time", "actor", "action", "request_id", "details", "prev_hash", "hash"], []),
        ("audit_checkpoints", ["seq", "hash", "signed_at", "signature"], []),
        ("holds", ["id", "subject_key", "category", "ground_code", "ground_explanation", "authority", "expires_at", "created_at"], []),
        ("verification_codes", ["request_id", "salt", "hash", "expires_at", "attempts", "max_attempts", "consumed"], ["consumed"]),
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

    /// Copies every row of the SQLite ledger at `path` (migrated to the current schema first)
    /// into this database in one transaction: requests keep their filing order, holds, messages
    /// and tokens their numbers, and the audit chain its entries and head, so the chain and its
    /// signed checkpoints verify here as they did there. Refuses a database that already holds
    /// a ledger.
    public func importLedger(fromSQLite path: String) async throws -> LedgerImportReport {
        guard FileManager.default.fileExists(atPath: path) else { throw LedgerImportRefused(description: "no SQLite ledger at \(path)") }
        // Opening through the SQLite store brings an older ledger up to the current schema.
        _ = try SQLiteStore(path: path, clock: clock)
        var configuration = Configuration()
        configuration.readonly = true
        let source = try DatabaseQueue(path: path, configuration: configuration)
        guard let postgres else { throw LedgerImportRefused(description: "the ledger to move into is not on PostgreSQL") }
        let logger = postgres.logger
        return try await postgres.withTransaction { connection in
            let existing =
                try await connection.query(
                    "SELECT (SELECT COUNT(*) FROM requests) + (SELECT seq FROM audit_head WHERE id = 1) + (SELECT COUNT(*) FROM audit_pending)",
                    logger: logger
                )
                .decode(Int.self).collect().first ?? 0
            guard existing == 0 else {
                throw LedgerImportRefused(
                    description: "the PostgreSQL database already holds a ledger (requests or audit entries); move into an empty one")
            }
            var report = LedgerImportReport()
            for (table, columns, booleans) in Self.importedTables {
                let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                // In the order written, so requests keep their filing order (`seq`).
                let rows = try source.read { db in try Row.fetchAll(db, sql: "SELECT \(quoted) FROM \(table) ORDER BY rowid") }
                for row in rows {
                    var bindings = PostgresBindings()
                    for column in columns {
                        let value: DatabaseValue = row[column]
                        switch value.storage {
                        case .null: bindings.appendNull()
                        case .int64(let number):
                            if booleans.contains(column) { bindings.append(number != 0) } else { bindings.append(Int(number)) }
                        case .double(let number): bindings.append(number)
                        case .string(let text): bindings.append(text)
                        case .blob(let data): try bindings.append(data)
                        }
                    }
                    let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "INSERT INTO \(table) (\(quoted)) VALUES (\(placeholders))", binds: bindings),
                        logger: logger)
                }
                report.rows[table] = rows.count
            }
            if let head = try source.read({ db in try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1") }) {
                let sequence: Int64 = head["seq"]
                let hash: String = head["hash"]
                try await connection.query("UPDATE audit_head SET seq = \(sequence), hash = \(hash) WHERE id = 1", logger: logger)
            }
            // Numbered tables continue after the copied numbers.
            for table in ["holds", "outbox", "operator_tokens"] {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), GREATEST((SELECT MAX(id) FROM \(table)), 1))"),
                    logger: logger)
            }
            return report
        }
    }
}
