import Foundation
public import RightsKernel

extension DataMapService {
    public var correctableFields: [DataCategory] { map.correctableCategories }

    /// Corrects exactly one mapped field, in one transaction on its source that also journals
    /// the result, so a retried request returns what it did the first time (the first run's
    /// old value, not its own new one). The value must suit the field's category
    /// (``CategoryValueRule``), and a value for an identity column must not already name another
    /// subject unless the map marks the column `shared`.
    public func correct(_ identities: [SubjectIdentity], field selector: String, value given: String, scope: DataScope, request: RequestID)
        async throws -> CorrectionResult
    {
        let target: CorrectionTarget
        switch map.correctionTarget(selector, scope: scope) {
        case .success(let found): target = found
        case .failure(let refusal): return refusal.result
        }
        let fieldName = "\(target.table.name).\(target.field.column)"
        if let reason = CategoryValueRule.problem(with: given, for: target.field.category) {
            return .invalidValue(field: fieldName, reason: reason)
        }
        // Stored as locating will look for it (a phone without its spaces, an email lowercased).
        let value = CategoryValueRule.normalised(given, for: target.field.category)
        let operation = "correct:\(fieldName)"
        let time = Date()
        try await prepareHostTables(target.source)
        let changes: [FieldChange]
        do {
            changes = try await executor(target.source).transaction { connection -> [FieldChange] in
                if let done = try await Self.journalled([FieldChange].self, request: request, operation: operation, on: connection) {
                    return done
                }
                let keys = try await self.rootKeys(identities, source: target.source, on: connection)
                let query = TableQuery(source: target.source, table: target.table)
                var found: [SQLRow] = []
                try await self.forEachRow(query, columns: [target.field.column], rootKeys: keys, on: connection) { found.append($0) }
                try await self.requireUnclaimed(value, target: target, subjectRows: found.compactMap { $0["rk_row"].text }, on: connection)
                let changes = try await self.write(value, into: found, target: target, query: query, on: connection)
                try await Self.journal(changes, request: request, operation: operation, at: time, on: connection)
                return changes
            }
        } catch is IdentityInUse {
            return .identityInUse(field: fieldName)
        }
        return changes.isEmpty ? .notHeld : .corrected(changes)
    }

    /// A correction would give an identity value to a second subject.
    private struct IdentityInUse: Error {}

    /// Refuses a value for an identity column that rows other than the subject's already hold:
    /// locating that value would find both subjects, and each one's requests would reach the
    /// other's rows. A column the map marks `shared` may hold one value for several.
    private func requireUnclaimed(_ value: String, target: CorrectionTarget, subjectRows: [String], on connection: any SQLConnection)
        async throws
    {
        guard case .identities(let columns) = target.table.link, columns.values.contains(target.field.column), !target.field.shared
        else { return }
        let table = target.table
        let column = target.field.column
        let statement: SQLStatement = """
            SELECT \(raw: quoted(table.key)) AS holder FROM \(raw: quoted(table.name))
            WHERE \(raw: quoted(column)) = \(SQLValue.text(value), column: self.type(target.source, table.name, column)) LIMIT 50
            """
        let own = Set(subjectRows)
        let holders = try await connection.query(statement).compactMap { $0["holder"].text }
        if holders.contains(where: { !own.contains($0) }) { throw IdentityInUse() }
    }

    /// Writes the value into the subject's rows (sealed where the field is encrypted); what
    /// changed, by fingerprints.
    private func write(_ value: String, into found: [SQLRow], target: CorrectionTarget, query: TableQuery, on connection: any SQLConnection)
        async throws -> [FieldChange]
    {
        var rows: [(key: SQLValue, reference: String, old: String?)] = []
        for row in found {
            let reference = query.subjectReference(rootKey: row["rk_root"])
            var old = row[target.field.column].text
            if target.field.erasure == .encrypt, let sealed = old { old = try await vault.decrypt(sealed, subject: reference) }
            rows.append((row["rk_row"], reference, old))
        }
        guard !rows.isEmpty else { return [] }
        for row in rows {
            let stored = target.field.erasure == .encrypt ? try await vault.encrypt(value, subject: row.reference) : value
            let statement: SQLStatement = """
                UPDATE \(raw: quoted(target.table.name))
                SET \(raw: quoted(target.field.column)) = \(SQLValue.text(stored), column: type(target.source, target.table.name, target.field.column))
                WHERE \(raw: quoted(target.table.key)) = \(row.key, column: type(target.source, target.table.name, target.table.key))
                """
            record(statement, on: target.source)
            try await connection.query(statement)
        }
        let olds = rows.compactMap(\.old).filter { !$0.isEmpty }
        return [
            FieldChange(
                source: target.source.name, table: target.table.name, column: target.field.column, category: target.field.category,
                rows: rows.count, oldFingerprints: olds.map(fingerprint), newFingerprint: fingerprint(value), supplemented: olds.isEmpty)
        ]
    }
}

/// The one field a correction changes, found by ``DataMap/correctionTarget(_:scope:)``.
package typealias CorrectionTarget = (source: DataSourceMap, table: MappedTable, field: MappedField)

/// Why a correction changes nothing: the answer the request gets.
package struct CorrectionRefusal: Error {
    package let result: CorrectionResult
}

extension DataMap {
    /// The single correctable field in scope that `selector` names, or the answer explaining why
    /// there is none (unknown, ambiguous, out of scope, not correctable here).
    package func correctionTarget(_ selector: String, scope: DataScope) -> Result<CorrectionTarget, CorrectionRefusal> {
        let targets = fields(named: selector)
        guard let target = targets.first else { return .failure(CorrectionRefusal(result: .unknownField(selector))) }
        guard targets.count == 1 else {
            return .failure(
                CorrectionRefusal(
                    result: .ambiguous(targets.map { "\($0.table.name).\($0.field.column) (\($0.field.category.name))" }.sorted())))
        }
        guard scope.covers(target.field.category) else { return .failure(CorrectionRefusal(result: .outOfScope(target.field.category))) }
        guard target.field.correctable else {
            return .failure(
                CorrectionRefusal(result: .refused(field: "\(target.table.name).\(target.field.column)", correctAt: target.field.correctAt))
            )
        }
        return .success(target)
    }

    /// The mapped fields a selector names: `table.column`, or a category (exact matches first,
    /// then the categories below it).
    package func fields(named selector: String) -> [(source: DataSourceMap, table: MappedTable, field: MappedField)] {
        let all = sources.flatMap { source in source.tables.flatMap { table in table.fields.map { (source, table, $0) } } }
        let byColumn = all.filter { "\($0.1.name).\($0.2.column)" == selector }
        if !byColumn.isEmpty { return byColumn }
        let exact = all.filter { $0.2.category.name == selector }
        if !exact.isEmpty { return exact }
        return all.filter { $0.2.category.isWithin(DataCategory(selector)) }
    }
}
