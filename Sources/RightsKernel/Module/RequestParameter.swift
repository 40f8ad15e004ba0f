/// A parameter a right accepts on a new request (`ground`, `field`), declared by its module so
/// intake can refuse unknown ones by name and tools can describe them.
public struct RequestParameter: Sendable, Hashable {
    public let name: String
    /// What the parameter means, in one line.
    public let meaning: String
    /// Whether the value is free text (a corrected address, a lawful interest) rather than a
    /// token; free text may hold spaces and punctuation, tokens only `[A-Za-z0-9._,:+-]`.
    public let freeText: Bool

    public init(_ name: String, _ meaning: String, freeText: Bool = false) {
        self.name = name
        self.meaning = meaning
        self.freeText = freeText
    }
}
