public import Foundation

/// How long the organisation has to respond, counted in the deployment's timezone.
///
/// The day of receipt is day 0; the response is due by the end of the last counted day. In
/// business days, Saturdays, Sundays and the listed holidays are not counted. A period in
/// months (GDPR's "one month") ends on the same day of the month, or on the month's last day
/// when it has no such day (31 January + 1 month = 28 or 29 February).
public struct DeadlinePolicy: Sendable, Equatable {
    public var days: Int
    public var businessDays: Bool
    /// When set, the deadline is this many calendar months instead of `days`.
    public var months: Int = 0
    /// When set, the extension is this many calendar months instead of `extensionDays`.
    public var extensionMonths: Int = 0
    /// Days added once, with a recorded reason (GDPR Art. 12(3), CCPA §1798.130).
    public var extensionDays: Int
    public var extensionBusinessDays: Bool
    /// Non-working days as `yyyy-MM-dd` in the deployment's timezone.
    public var holidays: Set<String>
    public var timeZone: TimeZone

    public init(
        days: Int,
        businessDays: Bool = false,
        extensionDays: Int = 0,
        extensionBusinessDays: Bool = false,
        holidays: Set<String> = [],
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current
    ) {
        self.days = days
        self.businessDays = businessDays
        self.extensionDays = extensionDays
        self.extensionBusinessDays = extensionBusinessDays
        self.holidays = holidays
        self.timeZone = timeZone
    }

    /// The instant a request received at `received` falls due: the last moment of the final day.
    public func due(receivedAt received: Date) -> Date {
        months > 0
            ? endOfDay(addingMonths: months, toDayOf: received) : endOfDay(adding: days, businessDays: businessDays, toDayOf: received)
    }

    /// The deadline after the one extension. A period in months extends the period itself:
    /// GDPR Art. 12(3)'s "one month … extended by two further months" is three calendar months
    /// from receipt (31 January → 30 April), not two months from the first due date (which would
    /// end on 28 April). An extension in days counts from the current due date.
    public func extended(_ due: Date, receivedAt received: Date) -> Date {
        if extensionMonths > 0, months > 0 { return endOfDay(addingMonths: months + extensionMonths, toDayOf: received) }
        if extensionMonths > 0 { return endOfDay(addingMonths: extensionMonths, toDayOf: due) }
        return endOfDay(adding: extensionDays, businessDays: extensionBusinessDays, toDayOf: due)
    }

    /// The end of the `count`th working day after the day of `received` (Saturdays, Sundays and
    /// the listed holidays not counted): when a receipt must be acknowledged by (CCPA §7021).
    public func endOfBusinessDays(_ count: Int, after received: Date) -> Date {
        endOfDay(adding: count, businessDays: true, toDayOf: received)
    }

    /// Whether the policy allows an extension at all.
    public var allowsExtension: Bool { extensionDays > 0 || extensionMonths > 0 }

    /// The last moment of the local day `instant` falls on.
    public func endOfDay(_ instant: Date) -> Date {
        endOfDay(adding: 0, businessDays: false, toDayOf: instant)
    }

    private func endOfDay(addingMonths count: Int, toDayOf instant: Date) -> Date {
        let start = calendar.startOfDay(for: instant)
        return endOfDay(adding: 0, businessDays: false, toDayOf: CalendarPeriod.months(count).added(to: start, in: timeZone))
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private func endOfDay(adding count: Int, businessDays: Bool, toDayOf instant: Date) -> Date {
        let calendar = calendar
        var day = calendar.startOfDay(for: instant)
        var remaining = count
        while remaining > 0 {
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
            if !businessDays || isWorkingDay(day, calendar: calendar) { remaining -= 1 }
        }
        let nextDay = calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
        return nextDay.addingTimeInterval(-1)
    }

    private func isWorkingDay(_ day: Date, calendar: Calendar) -> Bool {
        if calendar.isDateInWeekend(day) { return false }
        let parts = calendar.dateComponents([.year, .month, .day], from: day)
        let key = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        return !holidays.contains(key)
    }
}
