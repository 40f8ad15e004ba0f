import Foundation
import GRDB
import PostgresNIO
public import RightsKernel
import RightsStore

extension PostgresDataService {
    public func footprint(of identities: [SubjectIdentity], scope: DataScope) async throws -> SubjectFootprint {
        var tables: [SubjectFootprint.Table] = []
        for source in map.sources {
            tables += try await snapshot(source) { connection in
                let keys = try await rootKeys(identities, source: source, on: connection)
                var found: [SubjectFootprint.Table] = []
                for query in queries(of: source) {
                    var rows = 0
                    let fields = query.fields(in: scope)
                    if scope.products == nil || !fields.isEmpty {
                        try await forEachRow(query, columns: [], rootKeys: keys, products: scope.products, on: connection) { _ in rows += 1
                        }
                    }
                    found.append(
                        SubjectFootprint.Table(
                            source: source.name, table: query.table.name, rows: rows,
                            categories: Array(Set(fields.map(\.category))).sorted()))
                }
                return found
            }
        }
        return SubjectFootprint(tables: tables)
    }

    public func export(_ identities: [SubjectIdentity], scope: DataScope, into sink: any ExportSink) async throws -> ExportSummary {
        try await export(identities, passes: [scope], into: sink)
    }

    /// Streams each pass by category, then source and table, each source read in one snapshot:
    /// the root keys are found once, then one query per category and table.
    public func export(_ identities: [SubjectIdentity], passes: [DataScope], into sink: any ExportSink) async throws -> ExportSummary {
        var summary = ExportSummary()
        let sources = map.sources.filter { source in
            passes.contains { scope in queries(of: source).contains { !$0.fields(in: scope).isEmpty } }
        }
        for scope in passes {
            let scoped = sources.map { source in (source, queries(of: source).map { ($0, $0.fields(in: scope)) }.filter { !$0.1.isEmpty }) }
            let categories = Set(scoped.flatMap { $0.1.flatMap { $0.1.map(\.category) } }).sorted()
            for category in categories {
                for (source, tables) in scoped {
                    let counted = try await exportCategory(
                        category, of: identities, tables: tables, source: source, products: scope.products, into: sink)
                    if counted > 0 { summary.records[category.name, default: 0] += counted }
                }
            }
        }
        return summary
    }

    private func exportCategory(
        _ category: DataCategory, of identities: [SubjectIdentity], tables: [(TableQuery, [MappedField])], source: DataSourceMap,
        products: [String]?, into sink: any ExportSink
    ) async throws -> Int {
        let work = tables.map { ($0.0, $0.1.filter { $0.category == category }) }.filter { !$0.1.isEmpty }
        guard !work.isEmpty else { return 0 }
        return try await transaction(source) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var count = 0
            let keys = try await rootKeys(identities, source: source, on: connection)
            for (query, fields) in work {
                try await forEachRow(query, columns: fields.map(\.column), rootKeys: keys, products: products, on: connection) { row in
                    let reference = query.subjectReference(rootKey: try row[value: "rk_root"])
                    var values: [(column: String, value: String?)] = []
                    for field in fields {
                        var value = text(try row[value: field.column])
                        if field.erasure == .encrypt, let sealed = value { value = try vault.decrypt(sealed, subject: reference) }
                        values.append((field.column, value))
                    }
                    try sink.write(
                        ExportRecord(
                            category: category, source: source.name, table: query.table.name, rowKey: text(try row[value: "rk_row"]) ?? "",
                            values: values))
                    count += 1
                }
            }
            return count
        }
    }

    /// The emails and phone numbers held in the identity columns of the subject's root rows.
    public func contacts(of identities: [SubjectIdentity]) async throws -> [SubjectIdentity] {
        var found: [SubjectIdentity] = []
        for source in map.sources {
            let contacts = try await snapshot(source) { connection -> [SubjectIdentity] in
                var contacts: [SubjectIdentity] = []
                let keys = try await rootKeys(identities, source: source, on: connection)
                for table in source.tables {
                    guard case .identities(let columns) = table.link, let tableKeys = keys[table.name], !tableKeys.isEmpty else { continue }
                    for kind in SubjectIdentity.contactKinds.sorted() {
                        guard let column = columns[kind] else { continue }
                        var query = BoundQuery()
                        let marks = tableKeys.map { query.mark($0, as: type(source, table.name, table.key)) }.joined(separator: ", ")
                        query.append(
                            "SELECT \(quoted(column)) AS contact FROM \(quoted(table.name)) WHERE \(quoted(table.key)) IN (\(marks))")
                        for try await row in try await connection.query(query.query, logger: logger) {
                            if let value = text(try row.makeRandomAccess()[value: "contact"]), !value.isEmpty {
                                contacts.append(SubjectIdentity(kind: kind, value: value))
                            }
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
