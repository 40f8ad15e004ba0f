import Foundation
package import RightsKernel

/// How one mapped table's rows are reached from the subject's root rows: the join chain, and the
/// statements that read them.
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

    /// `FROM <table> t0 JOIN <parent> t1 ON … ` up to the root, aliased `t0…tN`.
    private var joins: String {
        var sql = " FROM \(quoted(table.name)) t0"
        for index in 0..<(chain.count - 1) {
            guard case .parent(let column, _, let referenced) = chain[index].link else { break }
            sql +=
                " JOIN \(quoted(chain[index + 1].name)) t\(index + 1) ON t\(index).\(quoted(column)) = t\(index + 1).\(quoted(referenced))"
        }
        return sql
    }

    /// `SELECT <row key> AS rk_row, <root key> AS rk_root, <columns> FROM <table> JOIN … WHERE
    /// <root key> IN (…)`: the planner starts from the root's primary key and follows indexed
    /// links. Each value is bound with its column's declared type (`type(table, column)`).
    package func select(
        _ columns: [String], rootKeys: [SQLValue], products: [String] = [], rows: [SQLValue] = [], dialect: SQLDialect,
        type: (String, String) -> String
    ) -> SQLStatement {
        let last = chain.count - 1
        var head = "SELECT t0.\(quoted(table.key)) AS rk_row, t\(last).\(quoted(root.key)) AS rk_root"
        for column in columns { head += ", t0.\(quoted(column))" }
        // With a batch of row keys, those drive the plan and the root keys only filter.
        let rootTerm = (rows.isEmpty ? "" : dialect.filterOnly) + "t\(last).\(quoted(root.key))"
        let rootType = type(root.name, root.key)
        var statement: SQLStatement =
            "\(raw: head + joins) WHERE \(raw: rootTerm) IN (" + Self.list(rootKeys, type: rootType) + ")"
        if !products.isEmpty, let product = productTable {
            statement =
                statement + " AND t\(raw: String(product.index)).\(raw: quoted(product.column)) IN ("
                + Self.list(products.map { .text($0) }, type: type(chain[product.index].name, product.column)) + ")"
        }
        if !rows.isEmpty {
            statement = statement + " AND t0.\(raw: quoted(table.key)) IN (" + Self.list(rows, type: type(table.name, table.key)) + ")"
        }
        return statement
    }

    /// `SELECT DISTINCT <root key>, <identity columns> … WHERE <product column> = <product>`: the
    /// subjects holding rows of one product, with the identity kinds in the order of their
    /// `id_<kind>` columns; nil when the table names no product or its chain does not reach
    /// identities.
    package func subjectsWithProduct(_ product: String, type: (String, String) -> String) -> (statement: SQLStatement, kinds: [String])? {
        guard case .identities(let columns) = root.link, let productColumn = table.productColumn else { return nil }
        let kinds = columns.keys.sorted()
        let last = chain.count - 1
        var head = "SELECT DISTINCT t\(last).\(quoted(root.key)) AS rk_root"
        for kind in kinds { head += ", t\(last).\(quoted(columns[kind] ?? "")) AS \(quoted("id_" + kind))" }
        let statement: SQLStatement =
            "\(raw: head + joins) WHERE t0.\(raw: quoted(productColumn)) = \(SQLValue.text(product), column: type(table.name, productColumn))"
        return (statement, kinds)
    }

    /// The subject reference under which the vault keeps this row's encryption key.
    package func subjectReference(rootKey: SQLValue) -> String {
        "\(root.name):\(rootKey.text ?? "")"
    }

    /// `queries` with those farthest from the subject first, the map's order kept among equals:
    /// children are erased before the rows they link through.
    package static func childrenFirst(_ queries: [TableQuery]) -> [TableQuery] {
        queries.enumerated()
            .sorted { ($0.element.chain.count, $1.offset) > ($1.element.chain.count, $0.offset) }
            .map(\.element)
    }

    /// Each value bound for a column of `type`, separated by commas.
    static func list(_ values: [SQLValue], type: String) -> SQLStatement {
        .joined(values.map { "\($0, column: type)" }, separator: ", ")
    }
}

/// A configuration name quoted as an SQL identifier; names are validated at load, and any
/// quote is doubled all the same.
package func quoted(_ name: String) -> String {
    name.contains("\"") ? "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : "\"" + name + "\""
}
