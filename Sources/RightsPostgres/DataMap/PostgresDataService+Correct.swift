import Foundation
import GRDB
import PostgresNIO
public import RightsKernel
import RightsStore

extension PostgresDataService {
    /// Corrects exactly one mapped field, in one transaction on its source that also journals the
    /// result, so a retried request returns what it did the first time.
    public func correct(_ identities: [SubjectIdentity], field selector: String, value: String, scope: DataScope, request: RequestID)
        async throws -> CorrectionResult
    {
        let target: CorrectionTarget
        switch map.correctionTarget(selector, scope: scope) {
        case .success(let found): target = found
        case .failure(let refusal): return refusal.result
        }
        let operation = "correct:\(target.table.name).\(target.field.column)"
        let time = Date()
        try await prepareHostTables(target.source)
        let changes: [FieldChange] = try await transaction(target.source) { connection in
            if let done = try await journalled(request: request, operation: operation, on: connection) {
                return try CanonicalJSON.decode([FieldChange].self, from: Data(done.utf8))
            }
            let keys = try await rootKeys(identities, source: target.source, on: connection)
            let query = TableQuery(source: target.source, table: target.table)
            var rows: [(key: DatabaseValue, reference: String, old: String?)] = []
            try await forEachRow(query, columns: [target.field.column], rootKeys: keys, on: connection) { row in
                let reference = query.subjectReference(rootKey: try row[value: "rk_root"])
                var old = text(try row[value: target.field.column])
                if target.field.erasure == .encrypt, let sealed = old { old = try vault.decrypt(sealed, subject: reference) }
                rows.append((try row[value: "rk_row"], reference, old))
            }
            var changes: [FieldChange] = []
            if !rows.isEmpty {
                for row in rows {
                    let stored = target.field.erasure == .encrypt ? try vault.encrypt(value, subject: row.reference) : value
                    var update = BoundQuery()
                    let newValue = update.mark(stored.databaseValue, as: type(target.source, target.table.name, target.field.column))
                    let key = update.mark(row.key, as: type(target.source, target.table.name, target.table.key))
                    update.append(
                        "UPDATE \(quoted(target.table.name)) SET \(quoted(target.field.column)) = \(newValue) WHERE \(quoted(target.table.key)) = \(key)"
                    )
                    try await connection.query(update.query, logger: logger)
                }
                let olds = rows.compactMap(\.old).filter { !$0.isEmpty }
                changes.append(
                    FieldChange(
                        source: target.source.name, table: target.table.name, column: target.field.column, category: target.field.category,
                        rows: rows.count, oldFingerprints: olds.map(fingerprint), newFingerprint: fingerprint(value),
                        supplemented: olds.isEmpty
                    ))
            }
            try await journal(try CanonicalJSON.string(changes), request: request, operation: operation, at: time, on: connection)
            return changes
        }
        return changes.isEmpty ? .notHeld : .corrected(changes)
    }
}
