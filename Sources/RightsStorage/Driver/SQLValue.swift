public import Foundation

/// A value bound to a statement or read from a row, in the few storage classes both databases
/// share; each driver maps them to its own types (SQLite's affinities, PostgreSQL's `int8`,
/// `float8`, `text`, `bytea`, `bool`).
package enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case boolean(Bool)
}

/// A Swift value that travels as an ``SQLValue``.
package protocol SQLValueConvertible: Sendable {
    var sqlValue: SQLValue { get }
    init(sqlValue: SQLValue) throws
}

/// A column held a value of another kind than the code reading it expects.
package struct SQLValueMismatch: Error, CustomStringConvertible {
    package let expected: String
    package let found: SQLValue

    package var description: String {
        // The value itself may be personal: only its kind is named.
        let kind =
            switch found {
            case .null: "NULL"
            case .integer: "an integer"
            case .real: "a real number"
            case .text: "text"
            case .blob: "a blob"
            case .boolean: "a boolean"
            }
        return "expected \(expected), found \(kind)"
    }
}

extension SQLValue: SQLValueConvertible {
    package var sqlValue: SQLValue { self }
    package init(sqlValue: SQLValue) { self = sqlValue }

    /// The value as text: integers and reals in decimal, blobs in base64, booleans as 1 or 0,
    /// NULL as nil (how an export shows a cell and how a row key is kept).
    package var text: String? {
        switch self {
        case .null: nil
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .text(let string): string
        case .blob(let data): data.base64EncodedString()
        case .boolean(let value): value ? "1" : "0"
        }
    }

    package var isNull: Bool { self == .null }
}

extension String: SQLValueConvertible {
    package var sqlValue: SQLValue { .text(self) }
    package init(sqlValue: SQLValue) throws {
        switch sqlValue {
        case .text(let text): self = text
        case .blob(let data): self = String(decoding: data, as: UTF8.self)
        case .integer(let value): self = String(value)
        case .real(let value): self = String(value)
        default: throw SQLValueMismatch(expected: "text", found: sqlValue)
        }
    }
}

extension Int64: SQLValueConvertible {
    package var sqlValue: SQLValue { .integer(self) }
    package init(sqlValue: SQLValue) throws {
        switch sqlValue {
        case .integer(let value): self = value
        case .real(let value) where value.rounded() == value: self = Int64(value)
        case .boolean(let value): self = value ? 1 : 0
        default: throw SQLValueMismatch(expected: "an integer", found: sqlValue)
        }
    }
}

extension Int: SQLValueConvertible {
    package var sqlValue: SQLValue { .integer(Int64(self)) }
    package init(sqlValue: SQLValue) throws { self = Int(try Int64(sqlValue: sqlValue)) }
}

extension Double: SQLValueConvertible {
    package var sqlValue: SQLValue { .real(self) }
    package init(sqlValue: SQLValue) throws {
        switch sqlValue {
        case .real(let value): self = value
        case .integer(let value): self = Double(value)
        default: throw SQLValueMismatch(expected: "a real number", found: sqlValue)
        }
    }
}

extension Bool: SQLValueConvertible {
    package var sqlValue: SQLValue { .boolean(self) }
    package init(sqlValue: SQLValue) throws {
        switch sqlValue {
        case .boolean(let value): self = value
        case .integer(let value): self = value != 0
        default: throw SQLValueMismatch(expected: "a boolean", found: sqlValue)
        }
    }
}

extension Data: SQLValueConvertible {
    package var sqlValue: SQLValue { .blob(self) }
    package init(sqlValue: SQLValue) throws {
        switch sqlValue {
        case .blob(let data): self = data
        case .text(let text): self = Data(text.utf8)
        default: throw SQLValueMismatch(expected: "a blob", found: sqlValue)
        }
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    package var sqlValue: SQLValue { self?.sqlValue ?? .null }
    package init(sqlValue: SQLValue) throws {
        self = sqlValue == .null ? nil : try Wrapped(sqlValue: sqlValue)
    }
}

extension Date {
    /// Times are kept as seconds since 1970 in both databases.
    package var sqlSeconds: Double { timeIntervalSince1970 }
}
