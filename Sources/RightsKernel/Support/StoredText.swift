/// A contract value kept as text (an audit actor or action, a message kind): typed in code,
/// stored and encoded as its bare text, so records written before it was typed read back the same.
public protocol StoredText: RawRepresentable<String>, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    init(rawValue: String)
}

extension StoredText {
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
