public import RightsKernel

extension DataMapService {
    public func footprint(of identities: [SubjectIdentity], scope: DataScope) async throws -> SubjectFootprint {
        var tables: [SubjectFootprint.Table] = []
        for source in map.sources {
            tables += try await executor(source).snapshot { connection in
                let keys = try await self.rootKeys(identities, source: source, on: connection)
                var tables: [SubjectFootprint.Table] = []
                for query in self.queries(of: source) {
                    var rows = 0
                    let fields = query.fields(in: scope)
                    if scope.products == nil || !fields.isEmpty {
                        try await self.forEachRow(query, columns: [], rootKeys: keys, products: scope.products, on: connection) { _ in
                            rows += 1
                        }
                    }
                    tables.append(
                        SubjectFootprint.Table(
                            source: source.name, table: query.table.name, rows: rows,
                            categories: Array(Set(fields.map(\.category))).sorted()))
                }
                return tables
            }
        }
        return SubjectFootprint(tables: tables)
    }

    public func export(_ identities: [SubjectIdentity], scope: DataScope, into sink: any ExportSink) async throws -> ExportSummary {
        try await export(identities, passes: [scope], into: sink)
    }

    /// Streams each pass by category, then source and table, all inside one snapshot per
    /// source: the root keys are found once, then one read per category and table. Fields
    /// stored encrypted are opened with their subject's key (nil once it was destroyed).
    public func export(_ identities: [SubjectIdentity], passes: [DataScope], into sink: any ExportSink) async throws -> ExportSummary {
        let sources = map.sources.filter { source in
            passes.contains { scope in queries(of: source).contains { !$0.fields(in: scope).isEmpty } }
        }
        guard !sources.isEmpty else { return ExportSummary() }
        let writer = ExportSinkHandle(sink: sink)
        return try await reading(sources[...]) { connections in
            var summary = ExportSummary()
            var keys: [String: [String: [SQLValue]]] = [:]
            for source in sources {
                guard let connection = connections[source.name] else { continue }
                keys[source.name] = try await self.rootKeys(identities, source: source, on: connection)
            }
            for scope in passes {
                // Each source's tables with the fields this pass covers.
                let scoped = sources.map { source in
                    (source, self.queries(of: source).map { ($0, $0.fields(in: scope)) }.filter { !$0.1.isEmpty })
                }
                let categories = Set(scoped.flatMap { $0.1.flatMap { $0.1.map(\.category) } }).sorted()
                for category in categories {
                    for (source, tables) in scoped {
                        guard let connection = connections[source.name] else { continue }
                        for (query, scopedFields) in tables {
                            let fields = scopedFields.filter { $0.category == category }
                            guard !fields.isEmpty else { continue }
                            var rows: [SQLRow] = []
                            // Encrypted fields need the vault, which is asynchronous: those rows are
                            // read first, the rest stream straight to the sink.
                            let sealed = fields.contains { $0.erasure == .encrypt }
                            try await self.forEachRow(
                                query, columns: fields.map(\.column), rootKeys: keys[source.name] ?? [:], products: scope.products,
                                on: connection
                            ) { row in
                                if sealed {
                                    rows.append(row)
                                } else {
                                    try writer.write(Self.record(row, fields: fields, category: category, source: source, query: query))
                                    summary.records[category.name, default: 0] += 1
                                }
                            }
                            for row in rows {
                                var record = Self.record(row, fields: fields, category: category, source: source, query: query)
                                let reference = query.subjectReference(rootKey: row["rk_root"])
                                for (index, field) in fields.enumerated() where field.erasure == .encrypt {
                                    if let box = record.values[index].value {
                                        record.values[index].value = try await self.vault.decrypt(box, subject: reference)
                                    }
                                }
                                try writer.write(record)
                                summary.records[category.name, default: 0] += 1
                            }
                        }
                    }
                }
            }
            return summary
        }
    }

    /// One row as an export record: each field's value as text.
    static func record(_ row: SQLRow, fields: [MappedField], category: DataCategory, source: DataSourceMap, query: TableQuery)
        -> ExportRecord
    {
        ExportRecord(
            category: category, source: source.name, table: query.table.name, rowKey: row["rk_row"].text ?? "",
            values: fields.map { ($0.column, row[$0.column].text) })
    }

    /// The emails and phone numbers held in the identity columns of the subject's root rows:
    /// where a code for a subject named by a user id goes.
    public func contacts(of identities: [SubjectIdentity]) async throws -> [SubjectIdentity] {
        var found: [SubjectIdentity] = []
        for source in map.sources {
            let contacts = try await executor(source).snapshot { connection in
                let keys = try await self.rootKeys(identities, source: source, on: connection)
                var contacts: [SubjectIdentity] = []
                for table in source.tables {
                    guard case .identities(let columns) = table.link, let tableKeys = keys[table.name], !tableKeys.isEmpty else { continue }
                    for kind in SubjectIdentity.contactKinds.sorted() {
                        guard let column = columns[kind] else { continue }
                        let statement: SQLStatement =
                            "SELECT \(raw: quoted(column)) AS contact FROM \(raw: quoted(table.name)) WHERE \(raw: quoted(table.key)) IN ("
                            + TableQuery.list(tableKeys, type: self.type(source, table.name, table.key)) + ")"
                        for row in try await connection.query(statement) {
                            guard let value = row["contact"].text, !value.isEmpty else { continue }
                            contacts.append(SubjectIdentity(kind: kind, value: value))
                        }
                    }
                }
                return contacts
            }
            for contact in contacts where !found.contains(contact) { found.append(contact) }
        }
        return found
    }
}

extension DataMapService {
    public func identity(ofKind kind: String, where matches: @escaping @Sendable (String) -> Bool) async throws -> SubjectIdentity? {
        var found: Set<String> = []
        for source in map.sources {
            let values = try await executor(source).snapshot { connection in
                var values: Set<String> = []
                for table in source.tables {
                    guard case .identities(let columns) = table.link, let column = columns[kind] else { continue }
                    let statement: SQLStatement =
                        "SELECT \(raw: quoted(column)) AS value FROM \(raw: quoted(table.name)) WHERE \(raw: quoted(column)) IS NOT NULL"
                    for row in try await connection.query(statement) {
                        guard let value = row["value"].text, !value.isEmpty, matches(value) else { continue }
                        values.insert(value)
                    }
                }
                return values
            }
            found.formUnion(values)
        }
        // Two people whose values hash alike name no one.
        guard found.count == 1, let value = found.first else { return nil }
        return SubjectIdentity(kind: kind, value: value)
    }
}

/// The caller's export sink, carried into the snapshot that reads for it. The snapshot's body
/// runs once and the caller awaits it, so the sink is never used from two places at once.
struct ExportSinkHandle: @unchecked Sendable {
    let sink: any ExportSink

    func write(_ record: ExportRecord) throws { try sink.write(record) }
}
