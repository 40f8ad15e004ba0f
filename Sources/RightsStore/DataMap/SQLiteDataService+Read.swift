public import Foundation
import GRDB
public import RightsKernel

extension SQLiteDataService {
    public func footprint(of identities: [SubjectIdentity], scope: DataScope) async throws -> SubjectFootprint {
        try footprintNow(identities, scope: scope)
    }

    public func export(_ identities: [SubjectIdentity], scope: DataScope, into sink: any ExportSink) async throws -> ExportSummary {
        try exportNow(identities, passes: [scope], into: sink)
    }

    public func export(_ identities: [SubjectIdentity], passes: [DataScope], into sink: any ExportSink) async throws -> ExportSummary {
        try exportNow(identities, passes: passes, into: sink)
    }

    // GRDB's synchronous reads stream through a cursor inside one call; these run them outside
    // the async overloads so the sink need not be Sendable.

    func footprintNow(_ identities: [SubjectIdentity], scope: DataScope) throws -> SubjectFootprint {
        var tables: [SubjectFootprint.Table] = []
        for source in map.sources {
            let database = try database(source)
            tables += try snapshot(database) { db in
                let keys = try rootKeys(identities, source: source, db: db)
                return try queries(of: source).map { query in
                    var rows = 0
                    let fields = query.fields(in: scope)
                    if scope.products == nil || !fields.isEmpty {
                        try forEachRow(query, columns: [], rootKeys: keys, products: scope.products, db: db) { _ in rows += 1 }
                    }
                    let categories = fields.map(\.category)
                    return SubjectFootprint.Table(
                        source: source.name, table: query.table.name, rows: rows, categories: Array(Set(categories)).sorted())
                }
            }
        }
        return SubjectFootprint(tables: tables)
    }

    /// Streams each pass by category, then source and table, all inside one read transaction
    /// per source: the root keys are found once, then one cursor per category and table.
    func exportNow(_ identities: [SubjectIdentity], passes: [DataScope], into sink: any ExportSink) throws -> ExportSummary {
        var summary = ExportSummary()
        let sources = map.sources.filter { source in
            passes.contains { scope in queries(of: source).contains { !$0.fields(in: scope).isEmpty } }
        }
        guard !sources.isEmpty else { return summary }
        try reading(sources[...]) { databases in
            var keys: [String: [String: [DatabaseValue]]] = [:]
            for source in sources {
                guard let db = databases[source.name] else { continue }
                keys[source.name] = try rootKeys(identities, source: source, db: db)
            }
            for scope in passes {
                // Each source's tables with the fields this pass covers.
                let scoped = sources.map { source in
                    (source, queries(of: source).map { ($0, $0.fields(in: scope)) }.filter { !$0.1.isEmpty })
                }
                let categories = Set(scoped.flatMap { $0.1.flatMap { $0.1.map(\.category) } }).sorted()
                for category in categories {
                    for (source, tables) in scoped {
                        guard let db = databases[source.name] else { continue }
                        let sourceKeys = keys[source.name] ?? [:]
                        for (query, scopedFields) in tables {
                            let fields = scopedFields.filter { $0.category == category }
                            guard !fields.isEmpty else { continue }
                            try forEachRow(query, columns: fields.map(\.column), rootKeys: sourceKeys, products: scope.products, db: db) {
                                row in
                                let reference = query.subjectReference(rootKey: row["rk_root"])
                                var values: [(column: String, value: String?)] = []
                                values.reserveCapacity(fields.count)
                                for field in fields {
                                    var value = text(row[field.column])
                                    if field.erasure == .encrypt, let sealed = value {
                                        value = try vault.decrypt(sealed, subject: reference)
                                    }
                                    values.append((field.column, value))
                                }
                                try sink.write(
                                    ExportRecord(
                                        category: category, source: source.name, table: query.table.name, rowKey: text(row["rk_row"]) ?? "",
                                        values: values))
                                summary.records[category.name, default: 0] += 1
                            }
                        }
                    }
                }
            }
        }
        return summary
    }

    /// Restriction records the erasure left on a row, for the host application to honour.
    public func restrictions(source: String, table: String, rowKey: String) throws -> [RestrictionRecord] {
        guard let sourceMap = map.sources.first(where: { $0.name == source }) else { throw DataServiceError.unknownSource(source) }
        return try database(sourceMap).read { db in
            guard try db.tableExists("rightskit_restrictions") else { return [] }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM rightskit_restrictions WHERE table_name = ? AND row_key = ? ORDER BY id",
                arguments: [table, rowKey]
            ).map { row in
                let lifts: Double? = row["lifts_at"]
                return RestrictionRecord(
                    table: row["table_name"], rowKey: row["row_key"],
                    columns: (row["columns"] as String).split(separator: ",").map(String.init), basis: row["basis"],
                    liftsAt: lifts.map { Date(timeIntervalSince1970: $0) }, request: row["request_id"])
            }
        }
    }
}

/// A row whose processing is restricted to storage and security (clause 5.3), until a date or
/// indefinitely. The host application reads `rightskit_restrictions` in its own database.
public struct RestrictionRecord: Sendable, Equatable {
    public var table: String
    public var rowKey: String
    public var columns: [String]
    public var basis: String
    public var liftsAt: Date?
    public var request: String
}
