package import Foundation
package import GRDB
package import RightsKernel

/// How one mapped table's rows are reached from the subject's root rows: the join chain, and the
/// root keys found for the subject's identities.
package struct TableQuery: Sendable {
    package let source: DataSourceMap
    package let table: MappedTable
    /// `table` first, the table whose columns identify the subject last.
    package let chain: [MappedTable]
    package var root: MappedTable { chain[chain.count - 1] }

    /// The nearest table of the chain that names its rows' product, and its alias index: a
    /// transaction belongs to the product of the order it pays for.
    package var productTable: (index: Int, column: String)? {
        for (index, table) in chain.enumerated() {
            if let column = table.productColumn { return (index, column) }
        }
        return nil
    }

    /// The fields of the table that a scope covers; none when the scope names products and no
    /// table on the way to the subject names one.
    package func fields(in scope: DataScope) -> [MappedField] {
        if scope.products != nil, productTable == nil { return [] }
        return table.fields.filter { scope.covers($0.category) }
    }

    package init(source: DataSourceMap, table: MappedTable) {
        self.source = source
        self.table = table
        self.chain = source.path(to: table)
    }

    /// `SELECT <row key>, <root key>, <columns> FROM <table> JOIN … WHERE <root key> IN (…)`:
    /// the planner starts from the root's primary key and follows indexed links.
    /// `numbered` writes PostgreSQL's `$1, $2, …` placeholders instead of SQLite's `?`.
    package func select(_ columns: [String], rootKeyCount: Int, productCount: Int = 0, rowKeyCount: Int = 0, numbered: Bool = false)
        -> String
    {
        var next = 0
        func marks(_ count: Int) -> String {
            (0..<count).map { _ in
                next += 1
                return numbered ? "$\(next)" : "?"
            }.joined(separator: ", ")
        }
        let last = chain.count - 1
        var sql = "SELECT t0.\(quoted(table.key)) AS rk_row, t\(last).\(quoted(root.key)) AS rk_root"
        for column in columns { sql += ", t0.\(quoted(column))" }
        sql += " FROM \(quoted(table.name)) t0"
        for index in 0..<last {
            guard case .parent(let column, _, let referenced) = chain[index].link else { break }
            sql +=
                " JOIN \(quoted(chain[index + 1].name)) t\(index + 1) ON t\(index).\(quoted(column)) = t\(index + 1).\(quoted(referenced))"
        }
        // With a batch of row keys, those drive the plan and the root keys only filter (the
        // unary + keeps SQLite from starting at the root and walking every linked row).
        let rootTerm = rowKeyCount > 0 && !numbered ? "+t\(last).\(quoted(root.key))" : "t\(last).\(quoted(root.key))"
        sql += " WHERE \(rootTerm) IN (\(marks(rootKeyCount)))"
        if productCount > 0, let product = productTable {
            sql += " AND t\(product.index).\(quoted(product.column)) IN (\(marks(productCount)))"
        }
        if rowKeyCount > 0 {
            sql += " AND t0.\(quoted(table.key)) IN (\(marks(rowKeyCount)))"
        }
        return sql
    }

    /// `SELECT DISTINCT <root key>, <identity columns> … WHERE <product column> = <product>`: the
    /// subjects holding rows of one product (a batch job over the product's rows), with the
    /// identity kinds in the order of their `id_<kind>` columns; nil when the table names no
    /// product or its chain does not reach identities. `product` is the placeholder to use.
    package func subjectsWithProduct(product: String) -> (sql: String, kinds: [String])? {
        guard case .identities(let columns) = root.link, let productColumn = table.productColumn else { return nil }
        let kinds = columns.keys.sorted()
        let last = chain.count - 1
        var sql = "SELECT DISTINCT t\(last).\(quoted(root.key)) AS rk_root"
        for kind in kinds { sql += ", t\(last).\(quoted(columns[kind] ?? "")) AS \(quoted("id_" + kind))" }
        sql += " FROM \(quoted(table.name)) t0"
        for index in 0..<last {
            guard case .parent(let column, _, let referenced) = chain[index].link else { break }
            sql +=
                " JOIN \(quoted(chain[index + 1].name)) t\(index + 1) ON t\(index).\(quoted(column)) = t\(index + 1).\(quoted(referenced))"
        }
        return (sql + " WHERE t0.\(quoted(productColumn)) = \(product)", kinds)
    }

    /// The subject reference under which the vault keeps this row's encryption key.
    package func subjectReference(rootKey: DatabaseValue) -> String {
        "\(root.name):\(text(rootKey) ?? "")"
    }
}

extension SQLiteDataService {
    /// The keys of the root rows the identities match, per root table.
    func rootKeys(_ identities: [SubjectIdentity], source: DataSourceMap, db: Database) throws -> [String: [DatabaseValue]] {
        var result: [String: [DatabaseValue]] = [:]
        for table in source.tables {
            guard case .identities(let columns) = table.link else { continue }
            var keys: [DatabaseValue] = []
            var seen: Set<DatabaseValue> = []
            for identity in identities {
                guard let column = columns[identity.kind] else { continue }
                let values = Array(Set([identity.value, identity.normalisedValue])).sorted()
                let sql =
                    "SELECT \(quoted(table.key)) FROM \(quoted(table.name)) WHERE \(quoted(column)) IN (\(values.map { _ in "?" }.joined(separator: ", ")))"
                log?.record(source: source.name, sql: sql, argumentCount: values.count)
                for key in try DatabaseValue.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(values))
                where seen.insert(key).inserted {
                    keys.append(key)
                }
            }
            result[table.name] = keys
        }
        return result
    }

    /// Visits each of the subject's rows of a table with the requested columns, streaming;
    /// `rows` narrows the visit to those row keys (a batch).
    func forEachRow(
        _ query: TableQuery,
        columns: [String],
        rootKeys: [String: [DatabaseValue]],
        products: [String]? = nil,
        rows: [DatabaseValue] = [],
        db: Database,
        _ body: (Row) throws -> Void
    ) throws {
        guard let keys = rootKeys[query.root.name], !keys.isEmpty else { return }
        let products = query.productTable == nil ? [] : (products ?? [])
        for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
            let sql = query.select(columns, rootKeyCount: chunk.count, productCount: products.count, rowKeyCount: rows.count)
            log?.record(source: query.source.name, sql: sql, argumentCount: chunk.count + products.count + rows.count)
            let arguments =
                chunk.map { $0 as any DatabaseValueConvertible } + products.map { $0 as any DatabaseValueConvertible }
                + rows.map { $0 as any DatabaseValueConvertible }
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
            while let row = try cursor.next() { try body(row) }
        }
    }

    /// Every mapped table as a query, those farthest from the subject first (so children are
    /// erased before the rows they link through).
    func queries(in source: DataSourceMap) -> [TableQuery] {
        TableQuery.childrenFirst(queries(of: source))
    }
}

extension TableQuery {
    /// `queries` with those farthest from the subject first, the map's order kept among equals:
    /// children are erased before the rows they link through.
    package static func childrenFirst(_ queries: [TableQuery]) -> [TableQuery] {
        queries.enumerated()
            .sorted { ($0.element.chain.count, $1.offset) > ($1.element.chain.count, $0.offset) }
            .map(\.element)
    }
}

/// A database value as text: integers and reals in decimal, blobs in base64, NULL as nil.
package func text(_ value: DatabaseValue) -> String? {
    switch value.storage {
    case .null: nil
    case .int64(let number): String(number)
    case .double(let number): String(number)
    case .string(let string): string
    case .blob(let data): data.base64EncodedString()
    }
}

/// A date column's value: RFC 3339 text, or `yyyy-MM-dd` (with a time, without a zone) as a
/// local date in `timeZone`, or seconds since 1970.
package func date(_ value: DatabaseValue, in timeZone: TimeZone) -> Date? {
    switch value.storage {
    case .int64(let seconds): Date(timeIntervalSince1970: TimeInterval(seconds))
    case .double(let seconds): Date(timeIntervalSince1970: seconds)
    case .string(let string): Timestamp.date(string, localTo: timeZone)
    default: nil
    }
}
