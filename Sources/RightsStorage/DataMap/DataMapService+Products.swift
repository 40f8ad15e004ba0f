public import Foundation
public import RightsKernel

extension DataMapService {
    /// Withdraws in one transaction per source that also journals the result, so a retried
    /// request reports what the first run found (not "already withdrawn" by itself).
    public func withdrawConsent(_ identities: [SubjectIdentity], purposes: [String]?, request: RequestID, at time: Date) async throws
        -> ConsentWithdrawal
    {
        var result = ConsentWithdrawal(withdrawn: [], alreadyWithdrawn: [])
        let operation = journalOperation("consent-withdrawal", for: identities)
        for source in map.sources {
            guard let registry = source.consentRegistry, let table = source.table(registry.table) else { continue }
            let query = TableQuery(source: source, table: table)
            try await prepareHostTables(source)
            let outcome = try await executor(source).transaction { connection -> ConsentWithdrawal in
                if let done = try await Self.journalled(ConsentWithdrawal.self, request: request, operation: operation, on: connection) {
                    return done
                }
                let keys = try await self.rootKeys(identities, source: source, on: connection)
                var rows: [(key: SQLValue, purpose: String, withdrawn: Bool)] = []
                try await self.forEachRow(
                    query, columns: [registry.purposeColumn, registry.withdrawnColumn], rootKeys: keys, on: connection
                ) {
                    row in
                    let purpose = row[registry.purposeColumn].text ?? ""
                    if purposes.map({ $0.contains(purpose) }) ?? true {
                        rows.append((row["rk_row"], purpose, !row[registry.withdrawnColumn].isNull))
                    }
                }
                for row in rows where !row.withdrawn {
                    let statement: SQLStatement = """
                        UPDATE \(raw: quoted(table.name))
                        SET \(raw: quoted(registry.withdrawnColumn)) = \(SQLValue.text(Timestamp.string(time)), column: self.type(source, table.name, registry.withdrawnColumn))
                        WHERE \(raw: quoted(table.key)) = \(row.key, column: self.type(source, table.name, table.key))
                        """
                    self.record(statement, on: source)
                    try await connection.query(statement)
                }
                let outcome = ConsentWithdrawal(
                    withdrawn: Array(Set(rows.filter { !$0.withdrawn }.map(\.purpose))).sorted(),
                    alreadyWithdrawn: Array(Set(rows.filter(\.withdrawn).map(\.purpose))).sorted()
                )
                try await Self.journal(outcome, request: request, operation: operation, at: time, on: connection)
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
                guard let (statement, kinds) = query.subjectsWithProduct(product, type: { self.type(source, $0, $1) }) else { continue }
                let found = try await executor(source).snapshot { connection in
                    var found: [FoundSubject] = []
                    try await connection.forEachRow(statement) { row in
                        let identities = kinds.compactMap { kind in row["id_" + kind].text.map { SubjectIdentity(kind: kind, value: $0) } }
                        found.append(FoundSubject(key: row["rk_root"].text, identities: identities))
                    }
                    return found
                }
                for subject in found {
                    guard let key = subject.key, seen.insert("\(query.root.name):\(key)").inserted else { continue }
                    subjects.append(subject.identities)
                }
            }
        }
        return subjects
    }

    public func recordDiscontinuation(product: String, collectionStopsAt: Date, request: RequestID) async throws {
        for source in map.sources where source.tables.contains(where: { $0.productColumn != nil }) {
            try await prepareHostTables(source)
            try await executor(source).query(
                """
                INSERT INTO rightskit_discontinued_products (product, collection_stops_at, request_id)
                VALUES (\(product), \(collectionStopsAt.sqlSeconds), \(request.rawValue))
                ON CONFLICT (product) DO UPDATE SET collection_stops_at = excluded.collection_stops_at, request_id = excluded.request_id
                """)
        }
    }
}

/// A subject holding a product's rows: its root key and identities.
private struct FoundSubject: Sendable {
    let key: String?
    let identities: [SubjectIdentity]
}
