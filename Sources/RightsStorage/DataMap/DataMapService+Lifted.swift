public import Foundation
import RightsKernel

extension DataMapService {
    /// Erases the rows whose restriction lifted by `time`, by each restricted field's strategy,
    /// children before the rows they link to, in batches of at most ``batchRows`` restrictions per
    /// transaction with the erasure's pause between them, so the host's writers keep their turn;
    /// a row still referred to is left restricted for a later sweep. Fields stored encrypted keep
    /// their key (other rows of the subject may still need it).
    public func eraseLiftedRestrictions(at time: Date) async throws -> [String: Int] {
        var erased: [String: Int] = [:]
        let basis = Self.referencedBasis
        for source in map.sources {
            let executor = try executor(source)
            // A source where nothing was ever restricted is left as it is.
            let exists = try await executor.query(executor.dialect.tableExists("rightskit_restrictions")).first?.decode(
                "found", as: Int.self)
            guard exists == 1 else { continue }
            // A table from before the partial indexes gets them (once per service).
            try await prepareHostTables(source)
            let depth = Dictionary(uniqueKeysWithValues: queries(of: source).map { ($0.table.name, $0.chain.count) })
            // Most sweeps find nothing: look first, without taking the host's write lock, through
            // the two partial indexes.
            let due = try await executor.snapshot { connection in
                try await connection.query(
                    """
                    SELECT (EXISTS (SELECT 1 FROM rightskit_restrictions WHERE lifts_at IS NOT NULL AND lifts_at <= \(time.sqlSeconds))
                        OR EXISTS (SELECT 1 FROM rightskit_restrictions WHERE basis = \(basis))) AS due
                    """
                ).first?.decode("due", as: Bool.self) ?? false
            }
            guard due else { continue }
            // Keyset cursors, so each candidate is looked at once per sweep even when it must stay.
            var lifted = LiftCursor(liftsAt: -Double.greatestFiniteMagnitude, id: 0)
            var referenced: Int64 = 0
            while true {
                let (liftedAfter, referencedAfter) = (lifted, referenced)
                let sweep = try await executor.transaction { connection -> LiftedBatch in
                    var batch = LiftedBatch(lifted: liftedAfter, referenced: referencedAfter)
                    let rows = try await connection.query(
                        """
                        SELECT * FROM (SELECT id, table_name, row_key, columns, lifts_at, 0 AS referenced FROM rightskit_restrictions
                                       WHERE lifts_at IS NOT NULL AND lifts_at <= \(time.sqlSeconds) AND (lifts_at, id) > (\(liftedAfter.liftsAt), \(liftedAfter.id))
                                       ORDER BY lifts_at, id LIMIT \(Self.batchRows)) lifted
                        UNION ALL
                        SELECT * FROM (SELECT id, table_name, row_key, columns, lifts_at, 1 AS referenced FROM rightskit_restrictions
                                       WHERE basis = \(basis) AND id > \(referencedAfter) ORDER BY id LIMIT \(Self.batchRows)) kept
                        """
                    ).map(Restriction.init)
                    batch.fetched = rows.count
                    if let last = rows.last(where: { !$0.referenced }) {
                        batch.lifted = LiftCursor(liftsAt: last.liftsAt ?? 0, id: last.id)
                    }
                    batch.referenced = rows.filter(\.referenced).map(\.id).max() ?? referencedAfter
                    let ordered = rows.sorted { (depth[$0.table] ?? 0, $1.id) > (depth[$1.table] ?? 0, $0.id) }
                    for row in ordered {
                        guard let table = source.table(row.table) else { continue }
                        let fields = table.fields.filter { row.columns.contains($0.column) }
                        // Another restriction on the same row that has not lifted keeps it.
                        let stillHeld =
                            try await connection.query(
                                """
                                SELECT EXISTS (SELECT 1 FROM rightskit_restrictions WHERE table_name = \(row.table) AND row_key = \(row.rowKey)
                                                 AND id <> \(row.id) AND (lifts_at IS NULL OR lifts_at > \(time.sqlSeconds)) AND basis <> \(basis)) AS held
                                """
                            ).first?.decode("held", as: Bool.self) ?? false
                        if stillHeld { continue }
                        guard try await self.eraseLifted(fields, of: table, rowKey: row.rowKey, source: source, on: connection) else {
                            continue
                        }
                        try await connection.query("DELETE FROM rightskit_restrictions WHERE id = \(row.id)")
                        batch.erased[row.table, default: 0] += 1
                    }
                    return batch
                }
                erased.merge(sweep.erased, uniquingKeysWith: +)
                guard sweep.fetched > 0 else { break }
                (lifted, referenced) = (sweep.lifted, sweep.referenced)
                try await Task.sleep(for: .seconds(Self.batchPause))  // the host's writers get their turn
            }
        }
        return erased
    }

    /// Applies the strategies to one row; false when the row is still referred to and stays.
    private func eraseLifted(
        _ fields: [MappedField], of table: MappedTable, rowKey: String, source: DataSourceMap, on connection: any SQLConnection
    ) async throws -> Bool {
        let key = SQLValue.text(rowKey)
        if fields.contains(where: { $0.erasure == .deleteRow }) {
            // Most rows kept for their retained children are still referred to: ask first, so
            // a pass over them is one read each instead of a failing delete in a savepoint.
            if try await stillReferenced(key, of: table, source: source, on: connection) == true { return false }
            return try await deleteRow(key, of: table, source: source, on: connection)
        }
        let columns = fields.map { quoted($0.column) }.joined(separator: ", ")
        let current = try await connection.query(
            """
            SELECT \(raw: columns) FROM \(raw: quoted(table.name)) WHERE \(raw: quoted(table.key)) = \(key, column: type(source, table.name, table.key))
            """
        ).first
        guard let current else { return true }  // gone already
        try await overwrite(fields, current: current, key: key, of: table, source: source, on: connection)
        return true
    }
}

extension DataMapService {
    /// Whether rows elsewhere still refer to `key` of `table`, by the foreign keys the database
    /// declares onto it; nil when one of them refers to another column than the map's key (the
    /// delete then finds out).
    func stillReferenced(_ key: SQLValue, of table: MappedTable, source: DataSourceMap, on connection: any SQLConnection) async throws
        -> Bool?
    {
        let references = (facts[source.name]?.references ?? []).filter { $0.parent == table.name && !$0.table.hasPrefix("rightskit_") }
        guard !references.isEmpty else { return false }
        let primaryKey = facts[source.name]?.columns[table.name]?.filter(\.primaryKey).map(\.name)
        for reference in references where (reference.parentColumn ?? primaryKey?.first) != table.key { return nil }
        let checks = references.map { reference -> SQLStatement in
            """
            EXISTS (SELECT 1 FROM \(raw: quoted(reference.table))
                    WHERE \(raw: quoted(reference.column)) = \(key, column: type(source, reference.table, reference.column)))
            """
        }
        let statement: SQLStatement = "SELECT (" + .joined(checks, separator: " OR ") + ") AS referenced"
        return try await connection.query(statement).first?.decode("referenced", as: Bool.self)
    }
}

/// One restriction the sweep looks at.
private struct Restriction {
    let id: Int64
    let table: String
    let rowKey: String
    let columns: Set<String>
    let liftsAt: Double?
    let referenced: Bool

    init(_ row: SQLRow) throws {
        id = try row.decode("id")
        table = try row.decode("table_name")
        rowKey = try row.decode("row_key")
        columns = Set(try row.decode("columns", as: String.self).split(separator: ",").map(String.init))
        liftsAt = try row.decode("lifts_at")
        referenced = try row.decode("referenced", as: Int64.self) == 1
    }
}

/// What one transaction of the sweep did, and where the next starts.
private struct LiftedBatch: Sendable {
    var lifted: LiftCursor
    var referenced: Int64
    var fetched = 0
    var erased: [String: Int] = [:]
}
