public import Foundation

/// A period of the law's calendar: days, months or years, added by the Gregorian calendar in
/// the deployment's timezone, never as a count of seconds. A period that ends on a day its
/// month lacks ends on that month's last day (one year from 29 February is 28 February).
public enum CalendarPeriod: Sendable, Equatable, CustomStringConvertible {
    case days(Int)
    case months(Int)
    case years(Int)

    /// The instant the period ends when it starts at `start`.
    public func added(to start: Date, in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let (component, value): (Calendar.Component, Int) =
            switch self {
            case .days(let count): (.day, count)
            case .months(let count): (.month, count)
            case .years(let count): (.year, count)
            }
        return calendar.date(byAdding: component, value: value, to: start) ?? start
    }

    public var description: String {
        switch self {
        case .days(let count): "\(count) day(s)"
        case .months(let count): "\(count) month(s)"
        case .years(let count): "\(count) year(s)"
        }
    }

    /// The largest values a deployment may configure: a century.
    public static let maximumYears = 100
    public static let maximumMonths = 1_200
    public static let maximumDays = 36_500
}

extension ConfigSection {
    /// Reads exactly one of `days`, `months` or `years` as a calendar period, each bounded.
    func calendarPeriod() throws(ConfigError) -> CalendarPeriod {
        let present = ["days", "months", "years"].filter { contains($0) }
        guard present.count == 1, let key = present.first else {
            throw invalid(present.first ?? "days", "expected exactly one of days, months or years")
        }
        let limit =
            switch key {
            case "years": CalendarPeriod.maximumYears
            case "months": CalendarPeriod.maximumMonths
            default: CalendarPeriod.maximumDays
            }
        let value = try int(key)
        guard (1...limit).contains(value) else { throw invalid(key, "expected 1 to \(limit) \(key), found \(value)") }
        switch key {
        case "years": return .years(value)
        case "months": return .months(value)
        default: return .days(value)
        }
    }
}
