package import RightsKernel

/// One way a live schema has moved away from the deployment's data map.
package struct DriftFinding: Sendable, Equatable, Encodable {
    package enum Kind: String, Sendable, Encodable, CaseIterable {
        /// A mapped table is no longer in the database.
        case mappedTableGone = "mapped-table-gone"
        /// A mapped field's column is no longer in its table.
        case mappedColumnGone = "mapped-column-gone"
        /// A mapped field's column has another type than the map recorded (`type`).
        case mappedColumnTypeChanged = "mapped-column-type-changed"
        /// A column that looks personal, in a mapped or reviewed table, and is not mapped.
        case unmappedPersonalColumn = "unmapped-personal-column"
        /// A table that looks personal and is neither mapped nor reviewed as not personal.
        case unmappedPersonalTable = "unmapped-personal-table"
        /// A foreign key onto a mapped table from a column the map does not follow.
        case unmappedReference = "unmapped-reference"
    }

    package var kind: Kind
    package var source: String
    package var table: String
    package var column: String?
    /// The category a personal-looking column seems to hold.
    package var category: String?
    /// One line for a person; never a value.
    package var detail: String
}

/// Compares a source's map with its live schema (``findings(in:facts:on:discovery:)``).
package enum DataMapDrift {
    package static func findings(
        in source: DataSourceMap, facts: SchemaFacts, on executor: any StorageExecutor, discovery: SchemaDiscovery
    ) async throws -> [DriftFinding] {
        var findings: [DriftFinding] = []
        let live = Set(facts.tables)
        for table in source.tables {
            guard live.contains(table.name) else {
                findings.append(
                    .init(
                        kind: .mappedTableGone, source: source.name, table: table.name,
                        detail: "mapped table '\(table.name)' is not in the database"))
                continue
            }
            for field in table.fields {
                guard let column = facts.column(table.name, field.column) else {
                    findings.append(
                        .init(
                            kind: .mappedColumnGone, source: source.name, table: table.name, column: field.column,
                            category: field.category.name, detail: "mapped column '\(table.name).\(field.column)' is not in the table"))
                    continue
                }
                if let recorded = field.declaredType, recorded.lowercased() != column.type.lowercased() {
                    findings.append(
                        .init(
                            kind: .mappedColumnTypeChanged, source: source.name, table: table.name, column: field.column,
                            category: field.category.name,
                            detail: "'\(table.name).\(field.column)' was mapped as \(recorded) and is now \(column.type)"))
                }
            }
        }
        // What looks personal and is not mapped.
        let mapped = Dictionary(source.tables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let judged = try await discovery.judge(facts, on: executor)
        for table in judged {
            if let mappedTable = mapped[table.name] {
                let covered = covered(mappedTable)
                for column in table.columns where !covered.contains(column.name) {
                    guard let judgement = table.judgements[column.name], let category = judgement.category else { continue }
                    findings.append(
                        .init(
                            kind: .unmappedPersonalColumn, source: source.name, table: table.name, column: column.name, category: category,
                            detail: "'\(table.name).\(column.name)' looks like \(category) (\(judgement.reason)) and is not mapped"))
                }
                continue
            }
            let personal = table.columns.compactMap { column -> (String, ColumnClassification)? in
                guard let judgement = table.judgements[column.name], case .personal = judgement.verdict else { return nil }
                return (column.name, judgement)
            }
            if source.notPersonal.contains(table.name) {
                for (column, judgement) in personal {
                    findings.append(
                        .init(
                            kind: .unmappedPersonalColumn, source: source.name, table: table.name, column: column,
                            category: judgement.category,
                            detail:
                                "'\(table.name).\(column)' looks like \(judgement.category ?? "personal data") (\(judgement.reason)), in a table reviewed as not personal"
                        ))
                }
            } else if !personal.isEmpty {
                findings.append(
                    .init(
                        kind: .unmappedPersonalTable, source: source.name, table: table.name, category: personal[0].1.category,
                        detail:
                            "table '\(table.name)' is not mapped and looks personal: \(personal.map { "\($0.0) (\($0.1.category ?? ""))" }.joined(separator: ", "))"
                    ))
            }
        }
        // Foreign keys onto mapped tables that no link follows.
        for reference in facts.references where mapped[reference.parent] != nil && !source.notPersonal.contains(reference.table) {
            guard SchemaDiscovery.mappable(reference.table), reference.table != reference.parent else { continue }
            if case .parent(let column, let parent, _)? = mapped[reference.table]?.link, column == reference.column,
                parent == reference.parent
            {
                continue
            }
            findings.append(
                .init(
                    kind: .unmappedReference, source: source.name, table: reference.table, column: reference.column,
                    detail:
                        "'\(reference.table).\(reference.column)' refers to mapped table '\(reference.parent)', and the map does not follow it"
                ))
        }
        return findings
    }

    /// The columns a mapped table already accounts for: its key, link, identities, fields and
    /// the columns its rules read.
    static func covered(_ table: MappedTable) -> Set<String> {
        var columns: Set<String> = [table.key]
        switch table.link {
        case .identities(let identities): columns.formUnion(identities.values)
        case .parent(let column, _, _): columns.insert(column)
        }
        columns.formUnion(table.fields.map(\.column))
        if let retention = table.retention { columns.insert(retention.from) }
        for field in table.fields { if let retention = field.retention { columns.insert(retention.from) } }
        if let product = table.productColumn { columns.insert(product) }
        if case .status(let column, _)? = table.cancellation { columns.insert(column) }
        return columns
    }
}
