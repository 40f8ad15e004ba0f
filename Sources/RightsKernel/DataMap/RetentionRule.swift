public import Foundation

/// A legal retention period: erasure of the data it covers becomes a restriction until it lapses.
public struct RetentionRule: Sendable, Equatable {
    /// The law or obligation (`Electronic Commerce Law Art. 31`).
    public var basis: String
    /// How long: "not less than three years" is `.years(3)`, counted by the calendar.
    public var period: CalendarPeriod
    /// The date column the period runs from.
    public var from: String
    public var location: ConfigLocation

    public init(basis: String, period: CalendarPeriod, from: String, location: ConfigLocation) {
        self.basis = basis
        self.period = period
        self.from = from
        self.location = location
    }

    /// When the period ends for a row whose `from` column holds `start`, in `timeZone` (a
    /// three-year period from 2026-03-17 lifts on 2029-03-17).
    public func lifts(after start: Date, in timeZone: TimeZone) -> Date {
        period.added(to: start, in: timeZone)
    }
}
