public import Foundation
import GRDB
import RightsKernel

extension SQLiteDataService {
    /// Erases the rows whose restriction lifted by `time`, by each restricted field's strategy,
    /// children before the rows they link to, in batches of at most ``batchRows`` restrictions per
    /// transaction with the erasure's pause between them, so the host's writers keep their turn;
    /// a row still referred to is left restricted for a later sweep. Fields stored encrypted keep
    /// their key (other rows of the subject may still need it).
    public func eraseLiftedRestrictions(at time: Date) async throws -> [String: Int] {
        var erased: [String: Int] = [:]
        for source in map.sources {
            let database = try database(source)
            let depth = Dictionary(uniqueKeysWithValues: queries(of: source).map { ($0.table.name, $0.chain.count) })
            // Most sweeps find nothing: look first, without taking the host's write lock, through
            // the two partial indexes (a scan of a large restrictions table would hold the host's
            // commits back in rollback-journal mode).
            let (exists, indexed) = try snapshot(database) { db -> (Bool, Bool) in
                guard try db.tableExists("rightskit_restrictions") else { return (false, false) }
                return (true, try db.indexes(on: "rightskit_restrictions").contains { $0.name == "rightskit_restrictions_lifting" })
            }
            guard exists else { continue }
            if !indexed { try await database.write { db in try Self.createHostTables(db) } }  // a table from before the indexes
            let due = try snapshot(database) { db in
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM rightskit_restrictions WHERE lifts_at IS NOT NULL AND lifts_at <= ?)
                            OR EXISTS (SELECT 1 FROM rightskit_restrictions WHERE basis = '\(Self.referencedBasis)')
                        """, arguments: [time.timeIntervalSince1970]) ?? false
            }
            guard due else { continue }
            // Keyset cursors, so each candidate is looked at once per sweep even when it must stay.
            var lifted = LiftCursor(liftsAt: -Double.greatestFiniteMagnitude, id: 0)
            var referenced: Int64 = 0
            while true {
                let (liftedAfter, referencedAfter) = (lifted, referenced)
                let (erasedHere, fetched, nextLifted, nextReferenced) = try await database.write {
                    db -> ([String: Int], Int, LiftCursor, Int64) in
                    var erased: [String: Int] = [:]
                    let rows = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT * FROM (SELECT id, table_name, row_key, columns, lifts_at, 0 AS referenced FROM rightskit_restrictions
                                           WHERE lifts_at IS NOT NULL AND lifts_at <= ? AND (lifts_at, id) > (?, ?) ORDER BY lifts_at, id LIMIT ?)
                            UNION ALL
                            SELECT * FROM (SELECT id, table_name, row_key, columns, lifts_at, 1 AS referenced FROM rightskit_restrictions
                                           WHERE basis = '\(Self.referencedBasis)' AND id > ? ORDER BY id LIMIT ?)
                            """,
                        arguments: [
                            time.timeIntervalSince1970, liftedAfter.liftsAt, liftedAfter.id, Self.batchRows, referencedAfter,
                            Self.batchRows,
                        ])
                    let liftedRows = rows.filter { ($0["referenced"] as Int) == 0 }
                    let nextLifted = liftedRows.last.map { LiftCursor(liftsAt: $0["lifts_at"], id: $0["id"]) } ?? liftedAfter
                    let nextReferenced = rows.filter { ($0["referenced"] as Int) == 1 }.map { $0["id"] as Int64 }.max() ?? referencedAfter
                    let ordered = rows.sorted {
                        (depth[$0["table_name"]] ?? 0, $1["id"] as Int64) > (depth[$1["table_name"]] ?? 0, $0["id"] as Int64)
                    }
                    for row in ordered {
                        let tableName: String = row["table_name"]
                        let rowKey: String = row["row_key"]
                        let id: Int64 = row["id"]
                        guard let table = source.table(tableName) else { continue }
                        let columns = Set((row["columns"] as String).split(separator: ",").map(String.init))
                        let fields = table.fields.filter { columns.contains($0.column) }
                        // Another restriction on the same row that has not lifted keeps it.
                        let stillHeld =
                            try Bool.fetchOne(
                                db,
                                sql: """
                                    SELECT EXISTS (SELECT 1 FROM rightskit_restrictions WHERE table_name = ? AND row_key = ? AND id != ?
                                                     AND (lifts_at IS NULL OR lifts_at > ?) AND basis != '\(Self.referencedBasis)')
                                    """, arguments: [tableName, rowKey, id, time.timeIntervalSince1970]) ?? false
                        if stillHeld { continue }
                        guard try eraseLifted(fields, of: table, rowKey: rowKey, source: source, db: db) else { continue }
                        try db.execute(sql: "DELETE FROM rightskit_restrictions WHERE id = ?", arguments: [id])
                        erased[tableName, default: 0] += 1
                    }
                    return (erased, rows.count, nextLifted, nextReferenced)
                }
                erased.merge(erasedHere, uniquingKeysWith: +)
                guard fetched > 0 else { break }
                (lifted, referenced) = (nextLifted, nextReferenced)
                try await Task.sleep(for: .seconds(Self.batchPause))  // the host's writers get their turn
            }
        }
        return erased
    }

    /// Applies the strategies to one row; false when the row is still referred to and stays.
    private func eraseLifted(_ fields: [MappedField], of table: MappedTable, rowKey: String, source: DataSourceMap, db: Database) throws
        -> Bool
    {
        if fields.contains(where: { $0.erasure == .deleteRow }) {
            return try deleteRow(rowKey, of: table, source: source, db: db)
        }
        let current = try Row.fetchOne(db, sql: "SELECT * FROM \(quoted(table.name)) WHERE \(quoted(table.key)) = ?", arguments: [rowKey])
        guard let current else { return true }  // gone already
        try overwrite(fields, current: current, key: rowKey, of: table, source: source, db: db)
        return true
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
