public import Foundation
import GRDB
import PostgresNIO
public import RightsKernel
import RightsStore

extension PostgresDataService {
    /// Withdraws in one transaction per source that also journals the result, so a retried
    /// request reports what the first run found.
    public func withdrawConsent(_ identities: [SubjectIdentity], purposes: [String]?, request: RequestID, at time: Date) async throws
        -> ConsentWithdrawal
    {
        var result = ConsentWithdrawal(withdrawn: [], alreadyWithdrawn: [])
        let operation = vault.journalOperation("consent-withdrawal", for: identities)
        for source in map.sources {
            guard let registry = source.consentRegistry, let table = source.table(registry.table) else { continue }
            let query = TableQuery(source: source, table: table)
            try await prepareHostTables(source)
            let outcome = try await transaction(source) { connection -> ConsentWithdrawal in
                if let done = try await journalled(request: request, operation: operation, on: connection) {
                    return try CanonicalJSON.decode(ConsentWithdrawal.self, from: Data(done.utf8))
                }
                let keys = try await rootKeys(identities, source: source, on: connection)
                var rows: [(key: DatabaseValue, purpose: String, withdrawn: Bool)] = []
                try await forEachRow(query, columns: [registry.purposeColumn, registry.withdrawnColumn], rootKeys: keys, on: connection) {
                    row in
                    let purpose = text(try row[value: registry.purposeColumn]) ?? ""
                    if purposes.map({ $0.contains(purpose) }) ?? true {
                        rows.append((try row[value: "rk_row"], purpose, !(try row[value: registry.withdrawnColumn]).isNull))
                    }
                }
                for row in rows where !row.withdrawn {
                    var update = BoundQuery()
                    let withdrawn = update.mark(
                        Timestamp.string(time).databaseValue, as: type(source, table.name, registry.withdrawnColumn))
                    let key = update.mark(row.key, as: type(source, table.name, table.key))
                    update.append(
                        "UPDATE \(quoted(table.name)) SET \(quoted(registry.withdrawnColumn)) = \(withdrawn) WHERE \(quoted(table.key)) = \(key)"
                    )
                    try await connection.query(update.query, logger: logger)
                }
                let outcome = ConsentWithdrawal(
                    withdrawn: Array(Set(rows.filter { !$0.withdrawn }.map(\.purpose))).sorted(),
                    alreadyWithdrawn: Array(Set(rows.filter(\.withdrawn).map(\.purpose))).sorted()
                )
                try await journal(try CanonicalJSON.string(outcome), request: request, operation: operation, at: time, on: connection)
                return outcome
            }
            result.withdrawn += outcome.withdrawn
            result.alreadyWithdrawn += outcome.alreadyWithdrawn
        }
        return result
    }

    public func subjects(withProduct product: String) async throws -> [[SubjectIdentity]] {
        var subjects: [[SubjectIdentity]] = []
        for source in map.sources {
            var seen: Set<String> = []
            for table in source.tables where table.productColumn != nil {
                let query = TableQuery(source: source, table: table)
                guard let productColumn = table.productColumn else { continue }
                var bound = BoundQuery()
                let mark = bound.mark(product.databaseValue, as: type(source, table.name, productColumn))
                guard let (sql, kinds) = query.subjectsWithProduct(product: mark) else { continue }
                bound.append(sql)
                let found: [(String?, [SubjectIdentity])] = try await snapshot(source) { connection in
                    var found: [(String?, [SubjectIdentity])] = []
                    for try await row in try await connection.query(bound.query, logger: logger) {
                        let cells = row.makeRandomAccess()
                        let identities = try kinds.compactMap { kind in
                            text(try cells[value: "id_" + kind]).map { SubjectIdentity(kind: kind, value: $0) }
                        }
                        found.append((text(try cells[value: "rk_root"]), identities))
                    }
                    return found
                }
                for (key, identities) in found {
                    guard let key, seen.insert("\(query.root.name):\(key)").inserted else { continue }
                    subjects.append(identities)
                }
            }
        }
        return subjects
    }

    public func recordDiscontinuation(product: String, collectionStopsAt: Date, request: RequestID) async throws {
        for source in map.sources where source.tables.contains(where: { $0.productColumn != nil }) {
            try await transaction(source) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.hostTablesLock))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS rightskit_discontinued_products (
                        product TEXT PRIMARY KEY, collection_stops_at DOUBLE PRECISION NOT NULL, request_id TEXT NOT NULL)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO rightskit_discontinued_products (product, collection_stops_at, request_id)
                    VALUES (\(product), \(collectionStopsAt.timeIntervalSince1970), \(request.rawValue))
                    ON CONFLICT (product) DO UPDATE SET collection_stops_at = excluded.collection_stops_at, request_id = excluded.request_id
                    """, logger: logger)
            }
        }
    }

    /// Erases the rows whose restriction lifted by `time`, children first, a batch of
    /// restrictions per transaction with the erasure's pause between; a row still referred to
    /// stays restricted for a later sweep.
    public func eraseLiftedRestrictions(at time: Date) async throws -> [String: Int] {
        var erased: [String: Int] = [:]
        let basis = SQLiteDataService.referencedBasis
        for source in map.sources {
            let depth = Dictionary(uniqueKeysWithValues: queries(of: source).map { ($0.table.name, $0.chain.count) })
            let due = try await snapshot(source) { connection -> Bool in
                guard
                    try await connection.query("SELECT to_regclass('rightskit_restrictions') IS NOT NULL", logger: logger).decode(Bool.self)
                        .collect().first == true
                else { return false }
                return try await connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM rightskit_restrictions WHERE lifts_at IS NOT NULL AND lifts_at <= \(time.timeIntervalSince1970))
                        OR EXISTS (SELECT 1 FROM rightskit_restrictions WHERE basis = \(basis))
                    """, logger: logger
                ).decode(Bool.self).collect().first ?? false
            }
            guard due else { continue }
            var lifted = LiftCursor(liftsAt: -Double.greatestFiniteMagnitude, id: 0)
            var referenced: Int64 = 0
            while true {
                let (liftedAfter, referencedAfter) = (lifted, referenced)
                let (erasedHere, fetched, nextLifted, nextReferenced) = try await transaction(source) {
                    connection -> ([String: Int], Int, LiftCursor, Int64) in
                    var erased: [String: Int] = [:]
                    let rows = try await connection.query(
                        """
                        SELECT * FROM (SELECT id, table_name, row_key, columns, lifts_at, 0 AS referenced FROM rightskit_restrictions
                                       WHERE lifts_at IS NOT NULL AND lifts_at <= \(time.timeIntervalSince1970) AND (lifts_at, id) > (\(liftedAfter.liftsAt), \(liftedAfter.id))
                                       ORDER BY lifts_at, id LIMIT \(SQLiteDataService.batchRows)) lifted
                        UNION ALL
                        SELECT * FROM (SELECT id, table_name, row_key, columns, lifts_at, 1 AS referenced FROM rightskit_restrictions
                                       WHERE basis = \(basis) AND id > \(referencedAfter) ORDER BY id LIMIT \(SQLiteDataService.batchRows)) kept
                        """, logger: logger
                    ).decode((Int64, String, String, String, Double?, Int32).self).collect()
                    let nextLifted = rows.last { $0.5 == 0 }.map { LiftCursor(liftsAt: $0.4 ?? 0, id: $0.0) } ?? liftedAfter
                    let nextReferenced = rows.filter { $0.5 == 1 }.map(\.0).max() ?? referencedAfter
                    let ordered = rows.sorted { (depth[$0.1] ?? 0, $1.0) > (depth[$1.1] ?? 0, $0.0) }
                    for (id, tableName, rowKey, columnList, _, _) in ordered {
                        guard let table = source.table(tableName) else { continue }
                        let columns = Set(columnList.split(separator: ",").map(String.init))
                        let fields = table.fields.filter { columns.contains($0.column) }
                        let stillHeld =
                            try await connection.query(
                                """
                                SELECT EXISTS (SELECT 1 FROM rightskit_restrictions WHERE table_name = \(tableName) AND row_key = \(rowKey) AND id <> \(id)
                                                 AND (lifts_at IS NULL OR lifts_at > \(time.timeIntervalSince1970)) AND basis <> \(basis))
                                """, logger: logger
                            ).decode(Bool.self).collect().first ?? false
                        if stillHeld { continue }
                        guard try await eraseLifted(fields, of: table, rowKey: rowKey, source: source, on: connection) else { continue }
                        try await connection.query("DELETE FROM rightskit_restrictions WHERE id = \(id)", logger: logger)
                        erased[tableName, default: 0] += 1
                    }
                    return (erased, rows.count, nextLifted, nextReferenced)
                }
                erased.merge(erasedHere, uniquingKeysWith: +)
                guard fetched > 0 else { break }
                (lifted, referenced) = (nextLifted, nextReferenced)
                try await Task.sleep(for: .seconds(SQLiteDataService.batchPause))
            }
        }
        return erased
    }

    /// Applies the strategies to one row; false when the row is still referred to and stays.
    private func eraseLifted(
        _ fields: [MappedField], of table: MappedTable, rowKey: String, source: DataSourceMap, on connection: PostgresConnection
    ) async throws -> Bool {
        let key = rowKey.databaseValue
        if fields.contains(where: { $0.erasure == .deleteRow }) {
            return try await deleteRow(key, of: table, source: source, on: connection)
        }
        var query = BoundQuery()
        let mark = query.mark(key, as: type(source, table.name, table.key))
        let columns = fields.map(\.column)
        query.append(
            "SELECT \(columns.map(quoted).joined(separator: ", ")) FROM \(quoted(table.name)) WHERE \(quoted(table.key)) = \(mark)")
        var current: Row?
        for try await row in try await connection.query(query.query, logger: logger) {
            let cells = row.makeRandomAccess()
            var values: [String: (any DatabaseValueConvertible)?] = [:]
            for column in columns { values[column] = try cells[value: column] }
            current = Row(values)
        }
        guard let current else { return true }  // gone already
        try await overwrite(fields, current: current, key: key, of: table, source: source, on: connection)
        return true
    }
}
