package import Foundation
import RightsKernel

/// Proposes a data map from a live database, reading it only: the schema from its catalogue,
/// and at most ``Settings/sampleRows`` rows of each table, each table in a read-only
/// transaction of its own.
package struct SchemaDiscovery: Sendable {
    package struct Settings: Sendable {
        /// The most rows read from one table.
        package var sampleRows = 200
        /// The day dates of birth are judged against.
        package var today = Date()
        /// The years financial records are proposed to be kept, before a person sets the law's period.
        package var financialRetentionYears = 5

        package init(sampleRows: Int = 200, today: Date = Date()) {
            self.sampleRows = sampleRows
            self.today = today
        }
    }

    /// One table as sampled and judged.
    package struct JudgedTable: Sendable {
        package var name: String
        package var columns: [SchemaFacts.Column]
        package var sample: TableSample
        package var judgements: [String: ColumnClassification]
        package var people: Bool
        package var money: Bool
    }

    package var settings: Settings

    package init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Identity kinds by category: the ways a person is found in a table.
    static let identityKinds: [(category: String, kind: String)] = [
        ("user.contact.email", "email"), ("user.contact.phone", "phone"), ("user.account.username", "username"),
        ("user.identity.government_id", "government_id"), ("user.account.id", "user_id"),
    ]

    /// Samples and judges every table a map may name.
    package func judge(_ facts: SchemaFacts, on executor: any StorageExecutor, only tables: Set<String>? = nil) async throws
        -> [JudgedTable]
    {
        var judged: [JudgedTable] = []
        for table in facts.tables.sorted() where Self.mappable(table) && (tables?.contains(table) ?? true) {
            let columns = facts.columns[table] ?? []
            let sample = try await TableSample.read(
                table, columns: columns, estimatedRows: facts.estimatedRows[table], limit: settings.sampleRows, from: executor,
                today: settings.today)
            let people = ColumnVocabulary.namesPeople(table)
            let money = ColumnVocabulary.namesMoney(table)
            var judgements: [String: ColumnClassification] = [:]
            for column in columns {
                judgements[column.name] = ColumnClassifier.classify(
                    column, evidence: sample.evidence[column.name] ?? ColumnEvidence(), peopleTable: people, moneyTable: money,
                    consentTable: ColumnVocabulary.namesConsent(table), addressTable: ColumnVocabulary.namesAddresses(table))
            }
            judged.append(JudgedTable(name: table, columns: columns, sample: sample, judgements: judgements, people: people, money: money))
        }
        return judged
    }

    /// A name a map can hold (a plain identifier) and that is not RightsKit's or SQLite's own.
    static func mappable(_ table: String) -> Bool {
        !table.hasPrefix("sqlite_") && !table.hasPrefix("rightskit_") && DataMap.isPlainIdentifier(table)
    }

    /// The proposed map of one source.
    package func propose(
        _ facts: SchemaFacts, on executor: any StorageExecutor, sourceName: String, sourceLines: [String]
    ) async throws -> ProposedDataMap {
        let judged = try await judge(facts, on: executor)

        // 1. The subject's own tables, found by an identity: tables of people first, then a table
        //    whose identity is unique and that refers to none of those (a child table holding a
        //    phone number, an order's, is not the person's own).
        var links: [String: (link: ProposedDataMap.Link, basis: ProposedDataMap.Basis)] = [:]
        for table in judged where table.people {
            let identities = identityColumns(table, facts: facts)
            guard !identities.isEmpty else { continue }
            links[table.name] = (
                .identities(identities),
                .init(
                    0.9,
                    "the subject's table: \(identities.map(\.column).joined(separator: ", ")) find a person; its name says its rows are people"
                )
            )
        }
        for table in judged where !table.people {
            let identities = identityColumns(table, facts: facts)
            let unique = identities.filter { facts.uniqueColumns[table.name]?.contains($0.column) ?? false }
            let refersToPeople = facts.references.contains { $0.table == table.name && links[$0.parent] != nil }
            guard !unique.isEmpty, !refersToPeople else { continue }
            links[table.name] = (
                .identities(identities),
                .init(0.8, "the subject's table: \(unique.map(\.column).joined(separator: ", ")) is unique to a person")
            )
        }

        // 2. Declared foreign keys, then links by name and shared values, until nothing changes.
        var changed = true
        while changed {
            changed = false
            for table in judged where links[table.name] == nil {
                if let link = declaredLink(table.name, facts: facts, linked: links) {
                    links[table.name] = link
                    changed = true
                }
            }
            if changed { continue }
            for table in judged where links[table.name] == nil {
                if let link = try await inferredLink(table, facts: facts, linked: links, on: executor) {
                    links[table.name] = link
                    changed = true
                }
            }
        }

        // 3. A table with an identity of its own and no link (a newsletter list) is found by it.
        for table in judged where links[table.name] == nil {
            let identities = identityColumns(table, facts: facts)
            guard !identities.isEmpty else { continue }
            links[table.name] = (
                .identities(identities),
                .init(0.8, "found by its own \(identities.map(\.column).joined(separator: ", ")); it links to no other table")
            )
        }

        // 4. Fields; a linked table with nothing personal stays only where another links through it.
        var personalFields: [String: [(String, ColumnClassification)]] = [:]
        for table in judged where links[table.name] != nil {
            personalFields[table.name] = personal(table, linked: true, links: links)
        }
        var needed = Set(personalFields.filter { !$0.value.isEmpty }.keys)
        var frontier = Array(needed)
        while let name = frontier.popLast() {
            if case .parent(_, let parent, _, _)? = links[name]?.link, needed.insert(parent).inserted { frontier.append(parent) }
        }
        var tables: [ProposedDataMap.Table] = []
        var unlinked: [ProposedDataMap.LeftOut] = []
        var notPersonal: [ProposedDataMap.LeftOut] = []
        for table in judged {
            guard let (link, basis) = links[table.name], needed.contains(table.name) else {
                let found = personal(table, linked: false, links: links)
                if !found.isEmpty {
                    unlinked.append(
                        .init(
                            table: table.name,
                            reason:
                                "personal (\(found.map(\.0).joined(separator: ", "))) but no link to a person was found; link it by hand"))
                } else if links[table.name] != nil {
                    notPersonal.append(.init(table: table.name, reason: "linked to the subject, but nothing personal was found in it"))
                } else {
                    notPersonal.append(.init(table: table.name, reason: "nothing personal in its names or sampled values"))
                }
                continue
            }
            guard let key = key(of: table.name, facts: facts) else {
                unlinked.append(.init(table: table.name, reason: "no single-column primary key to name its rows by; add one, then map it"))
                continue
            }
            var proposal = ProposedDataMap.Table(
                name: table.name, key: key, link: link, linkBasis: basis, fields: [], retention: nil, retentionReason: nil)
            let deletable = deletable(table.name, facts: facts, links: links, needed: needed) && !isSubjectTable(link, table)
            for (column, judgement) in personalFields[table.name] ?? [] {
                guard let declared = facts.column(table.name, column), let category = judgement.category else { continue }
                let unique = facts.uniqueColumns[table.name]?.contains(column) ?? false
                let (erasure, why) = erasure(declared, deletable: deletable, unique: unique)
                proposal.fields.append(
                    .init(
                        column: column, category: category, erasure: erasure, type: declared.type,
                        basis: .init(judgement.confidence, judgement.reason), erasureReason: why))
            }
            if table.money, proposal.fields.contains(where: { $0.category.hasPrefix("user.financial") }) {
                if let date = retentionDate(table) {
                    proposal.retention = .init(
                        basis: "accounting records; set the period your jurisdiction's law requires",
                        years: settings.financialRetentionYears, from: date)
                    proposal.retentionReason = "financial records are kept for the law's period before erasure"
                } else {
                    proposal.retentionReason = "financial records: no date column to count a retention period from; add one by hand"
                }
            }
            tables.append(proposal)
        }
        // A table whose parent could not be mapped (no key to name its rows by) has no way to
        // the person either: it is left for a person to link, and so are its own children.
        var dropped = true
        while dropped {
            dropped = false
            let mapped = Set(tables.map(\.name))
            tables.removeAll { table in
                guard case .parent(_, let parent, _, _) = table.link, !mapped.contains(parent) else { return false }
                unlinked.append(.init(table: table.name, reason: "its parent '\(parent)' could not be mapped; link it by hand"))
                dropped = true
                return true
            }
        }
        return ProposedDataMap(
            sourceName: sourceName, sourceLines: sourceLines, tables: tables, unlinked: unlinked, notPersonal: notPersonal)
    }

    // MARK: Judgements of a table

    /// The identity columns a table has, one per kind, in the order of ``identityKinds``.
    func identityColumns(_ table: JudgedTable, facts: SchemaFacts) -> [(kind: String, column: String)] {
        var found: [(kind: String, column: String)] = []
        for (category, kind) in Self.identityKinds {
            let candidates = table.columns.filter {
                guard let judgement = table.judgements[$0.name], judgement.findsPerson else { return false }
                if case .personal(let judged) = judgement.verdict { return judged == category }
                return false
            }
            // The indexed column first: finding a person should not scan the table.
            let indexed = facts.indexedColumns[table.name] ?? []
            if let column = candidates.first(where: { indexed.contains($0.name) }) ?? candidates.first {
                found.append((kind, column.name))
            }
        }
        return found
    }

    /// The personal columns of a table; those personal only in a person's row count when `linked`.
    func personal(_ table: JudgedTable, linked: Bool, links: [String: (link: ProposedDataMap.Link, basis: ProposedDataMap.Basis)]) -> [(
        String, ColumnClassification
    )] {
        let linkColumn: String? = {
            if case .parent(let column, _, _, _)? = links[table.name]?.link { return column }
            return nil
        }()
        return table.columns.compactMap { column in
            guard column.name != linkColumn, let judgement = table.judgements[column.name] else { return nil }
            switch judgement.verdict {
            case .personal: return (column.name, judgement)
            case .personalIfLinked: return linked ? (column.name, judgement) : nil
            case .notPersonal: return nil
            }
        }
    }

    func isSubjectTable(_ link: ProposedDataMap.Link, _ table: JudgedTable) -> Bool {
        if case .identities = link { return table.people }
        return false
    }

    /// A declared foreign key onto a linked table: onto the subject's own table first.
    func declaredLink(_ table: String, facts: SchemaFacts, linked: [String: (link: ProposedDataMap.Link, basis: ProposedDataMap.Basis)])
        -> (
            link: ProposedDataMap.Link, basis: ProposedDataMap.Basis
        )?
    {
        let candidates = facts.references.filter { $0.table == table && $0.parent != table && linked[$0.parent] != nil }
        let direct = candidates.first { if case .identities? = linked[$0.parent]?.link { return true } else { return false } }
        guard let reference = direct ?? candidates.sorted(by: { $0.column < $1.column }).first,
            let parentColumn = reference.parentColumn ?? key(of: reference.parent, facts: facts)
        else { return nil }
        return (
            .parent(column: reference.column, table: reference.parent, referencedColumn: parentColumn, declared: true),
            .init(1, "declared foreign key \(table).\(reference.column) → \(reference.parent).\(parentColumn)")
        )
    }

    /// A link no constraint declares: a column whose name names a linked table (`cust_no`,
    /// `yhid`), checked by looking its sampled values up in the parent's indexed columns. A
    /// table holding an identity of its own (a ticket's email) is found by it instead, which
    /// also finds the rows of people with no account.
    func inferredLink(
        _ table: JudgedTable, facts: SchemaFacts, linked: [String: (link: ProposedDataMap.Link, basis: ProposedDataMap.Basis)],
        on executor: any StorageExecutor
    ) async throws -> (link: ProposedDataMap.Link, basis: ProposedDataMap.Basis)? {
        var best: (link: ProposedDataMap.Link, basis: ProposedDataMap.Basis)?
        for column in table.columns where !column.primaryKey {
            let values = table.sample.values[column.name] ?? []
            guard values.count >= 3 else { continue }
            var parents: [(table: String, column: String, why: String)] = []
            if let noun = ColumnVocabulary.referencedNoun(column.name) {
                for parent in linked.keys.sorted() where parent != table.name && ColumnVocabulary.noun(noun, names: parent) {
                    for parentColumn in (facts.indexedColumns[parent] ?? []).sorted() {
                        parents.append((parent, parentColumn, "name '\(column.name)' names '\(parent)'"))
                    }
                }
            }
            for parent in parents {
                guard let parentColumn = facts.column(parent.table, parent.column), compatible(column, parentColumn) else { continue }
                let found = try await overlap(Array(values), in: parent.table, column: parentColumn, on: executor)
                let share = Double(found) / Double(values.count)
                guard share >= 0.8 else { continue }
                let basis = ProposedDataMap.Basis(
                    (share * 0.95 * 100).rounded() / 100,
                    "inferred (no constraint declares it): \(parent.why); \(found) of \(values.count) sampled values found in \(parent.table).\(parent.column)"
                )
                if best == nil || basis.confidence > (best?.basis.confidence ?? 0) {
                    best = (.parent(column: column.name, table: parent.table, referencedColumn: parent.column, declared: false), basis)
                }
            }
        }
        return best
    }

    /// How many of `values` the parent's column holds, looked up through its index.
    func overlap(_ values: [String], in table: String, column: SchemaFacts.Column, on executor: any StorageExecutor) async throws -> Int {
        let bound: [SQLValue] = values.compactMap { value in
            switch column.storage {
            case .integer: Int64(value).map(SQLValue.integer)
            case .real: Double(value).map(SQLValue.real)
            default: .text(value)
            }
        }
        guard !bound.isEmpty else { return 0 }
        let name = quoted(column.name)
        var fragments: [SQLStatement.Fragment] = [
            .text("SELECT COUNT(DISTINCT \(name)) AS found FROM \(quoted(table)) WHERE \(name) IN (")
        ]
        for (index, value) in bound.enumerated() {
            if index > 0 { fragments.append(.text(", ")) }
            fragments.append(.value(value))
        }
        fragments.append(.text(")"))
        let statement = SQLStatement(fragments: fragments)
        let rows = try await executor.snapshot { connection in try await connection.query(statement) }
        return Int((try? rows.first?.decode("found", as: Int64.self)) ?? 0)
    }

    func compatible(_ child: SchemaFacts.Column, _ parent: SchemaFacts.Column) -> Bool {
        switch (child.storage, parent.storage) {
        case (.integer, .integer), (.text, .text): true
        case (.text, .integer), (.integer, .text): false
        default: child.type.lowercased() == parent.type.lowercased()
        }
    }

    /// The column that names a table's rows: its single-column primary key, or SQLite's rowid.
    func key(of table: String, facts: SchemaFacts) -> String? {
        let keys = (facts.columns[table] ?? []).filter(\.primaryKey)
        if keys.count == 1 { return keys[0].name }
        return facts.rowidKeys && keys.isEmpty ? "rowid" : nil
    }

    /// Whether deleting a person's rows of `table` can succeed: every foreign key onto it is a
    /// link the map follows, so those rows go first.
    func deletable(
        _ table: String, facts: SchemaFacts, links: [String: (link: ProposedDataMap.Link, basis: ProposedDataMap.Basis)],
        needed: Set<String>
    ) -> Bool {
        facts.references.filter { $0.parent == table && !$0.table.hasPrefix("rightskit_") }.allSatisfy { reference in
            guard needed.contains(reference.table), case .parent(let column, let parent, _, _)? = links[reference.table]?.link else {
                return false
            }
            return column == reference.column && parent == table
        }
    }

    /// The strategy a column can take, and why.
    func erasure(_ column: SchemaFacts.Column, deletable: Bool, unique: Bool) -> (ErasureStrategy, String) {
        if deletable { return (.deleteRow, "the row is the person's alone and nothing else refers to it") }
        if !column.notNull { return (.null, "nullable") }
        let width = Self.declaredWidth(column.type)
        switch column.storage {
        case .text where width.map({ $0 >= 64 }) ?? true:
            return (.hmac, "NOT NULL, so replaced by a keyed hash, which stays unique where the column must be")
        case .text where !unique && (width.map { $0 >= 6 } ?? true):
            return (.fixed("erased"), "NOT NULL and too narrow for a keyed hash")
        case .integer where !unique, .real where !unique:
            return (.fixed("0"), "NOT NULL number")
        default:
            return (.restrict, "NOT NULL, and no replacement fits its type and constraints; restricted instead")
        }
    }

    /// `n` in `varchar(n)` or `character varying(n)`.
    static func declaredWidth(_ type: String) -> Int? {
        guard let open = type.firstIndex(of: "("), let close = type.firstIndex(of: ")"), open < close else { return nil }
        return Int(type[type.index(after: open)..<close].trimmingCharacters(in: .whitespaces))
    }

    /// The column a financial record's retention counts from: when it was paid or made.
    func retentionDate(_ table: JudgedTable) -> String? {
        let dated = table.columns.filter { ColumnClassifier.namesTime($0.name) }
        let preferred = ["paid", "zfsj", "created", "cjsj", "xdsj", "issued", "date", "at"]
        for word in preferred {
            if let column = dated.first(where: { ColumnVocabulary.words($0.name).contains(word) }) { return column.name }
        }
        return dated.first?.name
    }
}
