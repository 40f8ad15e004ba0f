/// One SQL statement with its values kept apart from its text, written once for every
/// database: interpolated values are bound (`\(value)`), never spliced; `\(raw:)` splices text
/// the code itself wrote (a dialect's clause, a column name); `\(list:)` binds each element of
/// a non-empty list, separated by commas, for `IN (…)`. A driver renders the placeholders its
/// database wants (`?` for SQLite, `$1…` for PostgreSQL).
///
/// ```swift
/// let statement: SQLStatement = "SELECT body FROM requests WHERE id = \(id.rawValue) AND state IN (\(list: states))"
/// ```
package struct SQLStatement: Sendable, ExpressibleByStringInterpolation {
    package enum Fragment: Sendable, Equatable {
        case text(String)
        case value(SQLValue)
        /// A value for a column of the organisation's database, with the column's declared type:
        /// a driver that binds by type (PostgreSQL) binds the text and casts it to that type, so
        /// a `bigint`, `uuid` or `timestamptz` column takes what SQLite would store.
        case columnValue(SQLValue, type: String)
    }

    package private(set) var fragments: [Fragment]

    package init(stringLiteral value: String) {
        fragments = [.text(value)]
    }

    package init(stringInterpolation: Interpolation) {
        fragments = stringInterpolation.fragments
    }

    package init(fragments: [Fragment]) {
        self.fragments = fragments
    }

    /// The bound values, in order.
    package var values: [SQLValue] {
        fragments.compactMap {
            switch $0 {
            case .value(let value), .columnValue(let value, _): value
            case .text: nil
            }
        }
    }

    /// The text with each bound value replaced by `placeholder(n)` (n counts from 1).
    package func text(placeholder: (Int) -> String) -> String {
        typedText { number, _ in placeholder(number) }
    }

    /// The text with each bound value replaced by `placeholder(n, columnType)`, the column's
    /// type given for a ``Fragment/columnValue(_:type:)``.
    package func typedText(placeholder: (Int, String?) -> String) -> String {
        var text = ""
        var count = 0
        for fragment in fragments {
            switch fragment {
            case .text(let part): text += part
            case .value:
                count += 1
                text += placeholder(count, nil)
            case .columnValue(_, let type):
                count += 1
                text += placeholder(count, type)
            }
        }
        return text
    }

    /// This statement followed by `other`.
    package static func + (lhs: SQLStatement, rhs: SQLStatement) -> SQLStatement {
        SQLStatement(fragments: lhs.fragments + rhs.fragments)
    }

    /// `parts` joined by `separator`, as for the rows of a multi-row `VALUES`.
    package static func joined(_ parts: [SQLStatement], separator: String) -> SQLStatement {
        var fragments: [Fragment] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { fragments.append(.text(separator)) }
            fragments += part.fragments
        }
        return SQLStatement(fragments: fragments)
    }

    package struct Interpolation: StringInterpolationProtocol {
        var fragments: [Fragment] = []

        package init(literalCapacity: Int, interpolationCount: Int) {}

        package mutating func appendLiteral(_ literal: String) {
            fragments.append(.text(literal))
        }

        package mutating func appendInterpolation(_ value: some SQLValueConvertible) {
            fragments.append(.value(value.sqlValue))
        }

        package mutating func appendInterpolation<Value: SQLValueConvertible>(_ value: Value?) {
            fragments.append(.value(value.sqlValue))
        }

        /// A value bound for a column of declared type `type` (see ``Fragment/columnValue(_:type:)``).
        package mutating func appendInterpolation(_ value: SQLValue, column type: String) {
            fragments.append(.columnValue(value, type: type))
        }

        package mutating func appendInterpolation(raw text: String) {
            fragments.append(.text(text))
        }

        package mutating func appendInterpolation(_ statement: SQLStatement) {
            fragments += statement.fragments
        }

        package mutating func appendInterpolation(list values: [some SQLValueConvertible]) {
            precondition(!values.isEmpty, "an IN list needs at least one value")
            for (index, value) in values.enumerated() {
                if index > 0 { fragments.append(.text(", ")) }
                fragments.append(.value(value.sqlValue))
            }
        }
    }
}
