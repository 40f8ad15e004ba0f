/// Why a new request was not accepted; says what was wrong without echoing personal data.
public struct IntakeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter or field at fault (`subject`, `ground`).
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
