import Foundation

/// A legal retention period: erasure of the data it covers becomes a restriction until it lapses.
public struct RetentionRule: Sendable, Equatable {
    /// The law or obligation (`Electronic Commerce Law Art. 31`).
    public var basis: String
    public var days: Int
    /// The date column the period runs from.
    public var from: String
    public var location: ConfigLocation

    public init(basis: String, days: Int, from: String, location: ConfigLocation) {
        self.basis = basis
        self.days = days
        self.from = from
        self.location = location
    }

    /// When the period ends for a row whose `from` column holds `start`.
    public func lifts(after start: Date) -> Date {
        start.addingTimeInterval(Double(days) * 86_400)
    }
}
