package import Foundation
package import RightsKernel

/// What happens to one row: which fields are erased, which are held and until when.
package struct RowErasure: Sendable {
    package struct Hold: Sendable {
        package var basis: String
        package var until: Date?
        package var fields: [MappedField]
    }

    package let row: SQLRow
    package let key: SQLValue
    package let reference: String
    package var erasable: [MappedField] = []
    package var holds: [Hold] = []
    package var deletesRow = false

    package init(row: SQLRow, table: MappedTable, fields: [MappedField], at time: Date, timeZone: TimeZone, reference: String) {
        self.row = row
        self.key = row["rk_row"]
        self.reference = reference
        var held: [String: Hold] = [:]
        for field in fields {
            if field.erasure == .restrict {
                held["technically infeasible to delete", default: Hold(basis: "technically infeasible to delete", until: nil, fields: [])]
                    .fields.append(field)
                continue
            }
            if let rule = table.retention(for: field) {
                // An unreadable start date cannot prove the period is over: keep holding.
                let until = date(row[rule.from], in: timeZone).map { rule.lifts(after: $0, in: timeZone) }
                if until.map({ $0 > time }) ?? true {
                    held[rule.basis, default: Hold(basis: rule.basis, until: until, fields: [])].fields.append(field)
                    continue
                }
            }
            erasable.append(field)
        }
        holds = held.keys.sorted().compactMap { held[$0] }
        // A row is deleted only when one of its fields asks for it and nothing in it is held.
        deletesRow = holds.isEmpty && erasable.contains { $0.erasure == .deleteRow }
        if !holds.isEmpty, erasable.contains(where: { $0.erasure == .deleteRow }) {
            erasable.removeAll { $0.erasure == .deleteRow }
        }
    }

    package var encryptedErased: Bool { erasable.contains { $0.erasure == .encrypt } }
    package var encryptedHeld: Bool { holds.contains { $0.fields.contains { $0.erasure == .encrypt } } }
}

/// Where a batched erasure stands: the subject's root keys found at the start, the table being
/// worked (children first), the last row key done in it, and the tally so far.
package struct ErasureProgress: Codable, Sendable {
    package var rootKeys: [String: [StoredKey]]
    package var table = 0
    package var lastRow: StoredKey?
    package var tally: ErasureTally
    package var shredded: Set<String> = []
    package var keptKeys: Set<String> = []

    package init(rootKeys: [String: [StoredKey]], tally: ErasureTally) {
        self.rootKeys = rootKeys
        self.tally = tally
    }

    /// Saves the cursor in the caller's transaction and returns it as stored.
    func save(request: RequestID, operation: String, on connection: any SQLConnection) async throws -> String {
        let cursor = try CanonicalJSON.string(self)
        try await connection.query(
            """
            INSERT INTO rightskit_progress (request_id, operation, cursor) VALUES (\(request.rawValue), \(operation), \(cursor))
            ON CONFLICT (request_id, operation) DO UPDATE SET cursor = excluded.cursor
            """)
        return cursor
    }
}

enum ErasureStart: Sendable {
    case done(ErasureReport)
    /// Fresh work (no saved cursor) or work resumed from the saved cursor.
    case resume(ErasureProgress, savedCursor: String?)

    var savedCursor: String? {
        if case .resume(_, let cursor) = self { return cursor }
        return nil
    }
}

/// A row key that survives a restart: integer or text, ordered integers first.
package struct StoredKey: Codable, Hashable, Comparable, Sendable {
    package var integer: Int64?
    package var text: String?

    package init(_ value: SQLValue) {
        if case .integer(let number) = value { integer = number } else { text = value.text ?? "" }
    }

    package var sqlValue: SQLValue { integer.map { .integer($0) } ?? .text(text ?? "") }

    package static func < (lhs: StoredKey, rhs: StoredKey) -> Bool {
        switch (lhs.integer, rhs.integer) {
        case (let left?, let right?): left < right
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): (lhs.text ?? "") < (rhs.text ?? "")
        }
    }
}

/// Counts for the erasure report, per table and field.
package struct ErasureTally: Codable, Sendable {
    package let source: String
    private var erasedCounts: [String: (ErasureReport.Erased)] = [:]
    private var restrictedCounts: [String: ErasureReport.Restricted] = [:]
    private var deletions: [String: Int] = [:]

    package init(source: String) { self.source = source }

    package mutating func erased(table: String, field: MappedField) {
        let id = "\(table).\(field.column)"
        erasedCounts[
            id,
            default: ErasureReport.Erased(
                source: source, table: table, column: field.column, category: field.category, strategy: field.erasure.name, rows: 0)
        ].rows += 1
    }

    package mutating func restricted(table: String, field: MappedField, basis: String, until: Date?) {
        let id = "\(table).\(field.column).\(basis)"
        var entry =
            restrictedCounts[id]
            ?? ErasureReport.Restricted(
                source: source, table: table, column: field.column, category: field.category, basis: basis, rows: 0, until: until)
        entry.rows += 1
        if let current = entry.until, let until { entry.until = max(current, until) } else { entry.until = nil }
        restrictedCounts[id] = entry
    }

    package mutating func deleted(table: String) { deletions["\(source).\(table)", default: 0] += 1 }

    package var report: ErasureReport {
        ErasureReport(
            erased: erasedCounts.keys.sorted().compactMap { erasedCounts[$0] },
            deletedRows: deletions,
            restricted: restrictedCounts.keys.sorted().compactMap { restrictedCounts[$0] }
        )
    }
}

/// Where a sweep's walk through lifted restrictions has got to.
package struct LiftCursor: Sendable {
    package var liftsAt: Double
    package var id: Int64

    package init(liftsAt: Double, id: Int64) {
        self.liftsAt = liftsAt
        self.id = id
    }
}

/// A date column's value: RFC 3339 text, or `yyyy-MM-dd` (with a time, without a zone) as a
/// local date in `timeZone`, or seconds since 1970.
package func date(_ value: SQLValue, in timeZone: TimeZone) -> Date? {
    switch value {
    case .integer(let seconds): Date(timeIntervalSince1970: TimeInterval(seconds))
    case .real(let seconds): Date(timeIntervalSince1970: seconds)
    case .text(let string): Timestamp.date(string, localTo: timeZone)
    default: nil
    }
}
