/// A dotted data category such as `user.contact.email`, the same shape as the fideslang taxonomy.
public struct DataCategory: Hashable, Codable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(stringLiteral value: String) { self.name = value }
    public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    /// Whether a dotted name is well formed: lowercase segments of letters, digits, `_` or `-`.
    public static func isValid(_ name: String) -> Bool {
        let segments = name.split(separator: ".", omittingEmptySubsequences: false)
        return !segments.isEmpty
            && segments.allSatisfy { segment in
                !segment.isEmpty && segment.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-" }
            }
    }

    /// Whether this category equals `other` or lies below it (`user.contact.email` within `user.contact`).
    public func isWithin(_ other: DataCategory) -> Bool {
        name == other.name || name.hasPrefix(other.name + ".")
    }

    public var description: String { name }
    public static func < (lhs: DataCategory, rhs: DataCategory) -> Bool { lhs.name < rhs.name }
}
