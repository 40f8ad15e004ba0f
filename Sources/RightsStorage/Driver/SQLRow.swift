/// One row a statement returned, its values by column name.
package struct SQLRow: Sendable {
    package let columns: [String]
    package let values: [SQLValue]

    package init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of `column`; NULL when the row has no such column.
    package subscript(column: String) -> SQLValue {
        columns.firstIndex(of: column).map { values[$0] } ?? .null
    }

    /// The value of `column`, as `T`; throws when the row has no such column or holds another kind.
    package func decode<T: SQLValueConvertible>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(of: column) else { throw SQLMissingColumn(column: column) }
        return try T(sqlValue: values[index])
    }

    /// The value at `index` (from 0), as `T`.
    package func decode<T: SQLValueConvertible>(at index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else { throw SQLMissingColumn(column: "#\(index)") }
        return try T(sqlValue: values[index])
    }
}

/// A statement's rows lacked a column the code reads.
package struct SQLMissingColumn: Error, CustomStringConvertible {
    package let column: String
    package var description: String { "the statement returned no column \(column)" }
}
