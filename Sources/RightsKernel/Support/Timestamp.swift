public import Foundation

/// RFC 3339 timestamps in UTC with milliseconds, the one textual time format RightsKit writes.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(
                separator: .omitted))
    }

    /// The local calendar day of `date` in `timeZone`, as `yyyy-MM-dd`.
    public static func day(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The local wall-clock time of `date` in `timeZone`, as `yyyy-MM-dd HH:mm` and the zone's
    /// name: how a time is told to a person.
    public static func localTime(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%@ %02d:%02d (%@)", day(date, in: timeZone), parts.hour ?? 0, parts.minute ?? 0, timeZone.identifier)
    }

    /// Parses RFC 3339 with or without fractional seconds; a bare `yyyy-MM-dd` (or
    /// `yyyy-MM-dd HH:mm:ss` without a zone) is a local time in `timeZone`, UTC when none is given.
    public static func date(_ text: String, localTo timeZone: TimeZone? = nil) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return localDate(text, in: timeZone ?? TimeZone(identifier: "UTC") ?? .current)
    }

    /// `yyyy-MM-dd` or `yyyy-MM-dd[T ]HH:mm[:ss]` read as a wall-clock time in `timeZone`.
    static func localDate(_ text: String, in timeZone: TimeZone) -> Date? {
        let parts = text.split(whereSeparator: { $0 == "T" || $0 == " " }).map(String.init)
        guard (1...2).contains(parts.count) else { return nil }
        let day = parts[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard day.count == 3, parts[0].count == 10, let year = day[0], let month = day[1], let dayOfMonth = day[2] else { return nil }
        var time: [Int?] = [0, 0, 0]
        if parts.count == 2 {
            time = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (2...3).contains(time.count) else { return nil }
            if time.count == 2 { time.append(0) }
        }
        guard let hour = time[0], let minute = time[1], let second = time[2] else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: year, month: month, day: dayOfMonth, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }
}
