public import Foundation
import GRDB
public import RightsKernel

extension SQLiteDataService {
    public func withdrawConsent(_ identities: [SubjectIdentity], purposes: [String]?, request: RequestID, at time: Date) async throws
        -> ConsentWithdrawal
    {
        try withdrawConsentNow(identities, purposes: purposes, request: request, at: time)
    }

    public func subjects(withProduct product: String) async throws -> [[SubjectIdentity]] {
        try subjectsNow(withProduct: product)
    }

    public func recordDiscontinuation(product: String, collectionStopsAt: Date, request: RequestID) async throws {
        try recordDiscontinuationNow(product: product, collectionStopsAt: collectionStopsAt, request: request)
    }

    /// Withdraws in one transaction per source that also journals the result, so a retried
    /// request reports what the first run found (not "already withdrawn" by itself).
    func withdrawConsentNow(_ identities: [SubjectIdentity], purposes: [String]?, request: RequestID, at time: Date) throws
        -> ConsentWithdrawal
    {
        var result = ConsentWithdrawal(withdrawn: [], alreadyWithdrawn: [])
        let operation = journalOperation("consent-withdrawal", for: identities)
        for source in map.sources {
            guard let registry = source.consentRegistry, let table = source.table(registry.table) else { continue }
            let query = TableQuery(source: source, table: table)
            let outcome = try database(source).write { db in
                try Self.createHostTables(db)
                if let done = try Self.journalled(request: request, operation: operation, db: db) {
                    return try CanonicalJSON.decode(ConsentWithdrawal.self, from: Data(done.utf8))
                }
                let keys = try rootKeys(identities, source: source, db: db)
                var rows: [(key: DatabaseValue, purpose: String, withdrawn: Bool)] = []
                try forEachRow(query, columns: [registry.purposeColumn, registry.withdrawnColumn], rootKeys: keys, db: db) { row in
                    let purpose = text(row[registry.purposeColumn]) ?? ""
                    if purposes.map({ $0.contains(purpose) }) ?? true {
                        rows.append((row["rk_row"], purpose, !(row[registry.withdrawnColumn] as DatabaseValue).isNull))
                    }
                }
                let sql = "UPDATE \(quoted(table.name)) SET \(quoted(registry.withdrawnColumn)) = ? WHERE \(quoted(table.key)) = ?"
                for row in rows where !row.withdrawn {
                    log?.record(source: source.name, sql: sql, argumentCount: 2)
                    try db.execute(sql: sql, arguments: [Timestamp.string(time), row.key])
                }
                let outcome = ConsentWithdrawal(
                    withdrawn: Array(Set(rows.filter { !$0.withdrawn }.map(\.purpose))).sorted(),
                    alreadyWithdrawn: Array(Set(rows.filter(\.withdrawn).map(\.purpose))).sorted()
                )
                try Self.journal(try CanonicalJSON.string(outcome), request: request, operation: operation, at: time, db: db)
                return outcome
            }
            result.withdrawn += outcome.withdrawn
            result.alreadyWithdrawn += outcome.alreadyWithdrawn
        }
        return result
    }

    func subjectsNow(withProduct product: String) throws -> [[SubjectIdentity]] {
        var subjects: [[SubjectIdentity]] = []
        for source in map.sources {
            var seen: Set<String> = []
            for table in source.tables where table.productColumn != nil {
                let query = TableQuery(source: source, table: table)
                guard let (finalSQL, kinds) = query.subjectsWithProduct(product: "?") else { continue }
                try snapshot(database(source)) { db in
                    let cursor = try Row.fetchCursor(db, sql: finalSQL, arguments: [product])
                    while let row = try cursor.next() {
                        guard let key = text(row["rk_root"]), seen.insert("\(query.root.name):\(key)").inserted else { continue }
                        subjects.append(kinds.compactMap { kind in text(row["id_" + kind]).map { SubjectIdentity(kind: kind, value: $0) } })
                    }
                }
            }
        }
        return subjects
    }

    func recordDiscontinuationNow(product: String, collectionStopsAt: Date, request: RequestID) throws {
        for source in map.sources where source.tables.contains(where: { $0.productColumn != nil }) {
            try database(source).write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS rightskit_discontinued_products (
                            product TEXT PRIMARY KEY, collection_stops_at REAL NOT NULL, request_id TEXT NOT NULL)
                        """)
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO rightskit_discontinued_products (product, collection_stops_at, request_id) VALUES (?, ?, ?)",
                    arguments: [product, collectionStopsAt.timeIntervalSince1970, request.rawValue]
                )
            }
        }
    }
}
