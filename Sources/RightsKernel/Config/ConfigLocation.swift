/// A place in a deployment file, kept so a later check (a database schema) can report there.
public struct ConfigLocation: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var keyPath: String

    public init(file: String, line: Int, column: Int, keyPath: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
    }

    /// An error at this place.
    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, column: column, keyPath: keyPath, message: message)
    }
}
