import Foundation
import RightsKernel
import Testing

/// Years and months are calendar units in the deployment's timezone, never counts of days.
@Suite("The law's calendar: days, months and years in the deployment's timezone")
struct CalendarPeriodTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    let brussels = TimeZone(identifier: "Europe/Brussels")!

    func local(_ text: String, _ zone: TimeZone) throws -> Date {
        try #require(Timestamp.date(text, localTo: zone))
    }

    @Test func threeYearsFromAnOrderDateLiftOnTheSameDateThreeYearsLater() throws {
        let rule = RetentionRule(
            basis: "E-Commerce Law Art. 31", period: .years(3), from: "created_at",
            location: ConfigLocation(file: "t", line: 1, column: 1, keyPath: "retention"))
        let lifts = rule.lifts(after: try local("2026-03-17", shanghai), in: shanghai)
        #expect(lifts == (try local("2029-03-17", shanghai)))
        #expect(Timestamp.day(lifts, in: shanghai) == "2029-03-17")
        // 3 × 365 days would have ended a day early (2028 is a leap year).
        #expect(lifts > (try local("2026-03-17", shanghai)).addingTimeInterval(3 * 365 * 86_400))
    }

    @Test func oneYearFromTheTwentyNinthOfFebruaryEndsOnTheTwentyEighth() throws {
        let end = CalendarPeriod.years(1).added(to: try local("2024-02-29", shanghai), in: shanghai)
        #expect(Timestamp.day(end, in: shanghai) == "2025-02-28")
    }

    @Test func monthsAndDaysAreCalendarUnits() throws {
        #expect(
            Timestamp.day(CalendarPeriod.months(1).added(to: try local("2027-01-31", brussels), in: brussels), in: brussels) == "2027-02-28"
        )
        #expect(
            Timestamp.day(CalendarPeriod.months(1).added(to: try local("2028-01-31", brussels), in: brussels), in: brussels) == "2028-02-29"
        )
        // Across the change to summer time a day is still a day on the wall clock.
        let before = try local("2027-03-27 12:00", brussels)
        #expect(CalendarPeriod.days(1).added(to: before, in: brussels) == (try local("2027-03-28 12:00", brussels)))
        #expect(CalendarPeriod.days(1).added(to: before, in: brussels).timeIntervalSince(before) == 23 * 3_600)
    }

    @Test func aOneMonthDeadlineFromTheThirtyFirstOfJanuaryEndsOnTheLastDayOfFebruary() throws {
        var policy = DeadlinePolicy(days: 0, timeZone: brussels)
        policy.months = 1
        let received = try local("2027-01-31 09:30", brussels)
        let due = policy.due(receivedAt: received)
        #expect(due == (try local("2027-02-28 23:59:59", brussels)))
        // GDPR Art. 12(3): the period is extended by two further months, to three months from
        // receipt, not two months from the first due date (28 April).
        policy.extensionMonths = 2
        #expect(Timestamp.day(policy.extended(due, receivedAt: received), in: brussels) == "2027-04-30")
    }

    @Test func aBareDateIsALocalDate() throws {
        let midnight = try local("2026-03-17", shanghai)
        #expect(Timestamp.string(midnight) == "2026-03-16T16:00:00.000Z")
        #expect(Timestamp.date("2026-03-17") == Timestamp.date("2026-03-17T00:00:00Z"), "without a timezone, UTC")
        #expect(Timestamp.date("2026-02-30", localTo: shanghai) == nil, "no such day")
    }

    @Test func periodsAreConfiguredInOneUnitAndBounded() throws {
        let yaml = """
            deployment: { name: t, jurisdiction: EU-GDPR, timezone: Europe/Brussels }
            policy:
              deadline: { months: 1 }
              extension: { months: 2 }
            rights: {}
            """
        let settings = try DeploymentSettings.load(yaml: yaml)
        #expect(settings.policy.deadline.months == 1)
        #expect(settings.policy.deadline.extensionMonths == 2)
        #expect(throws: ConfigError.self) {
            try DeploymentSettings.load(yaml: yaml.replacingOccurrences(of: "{ months: 1 }", with: "{ days: 9223372036854775807 }"))
        }
        #expect(throws: ConfigError.self) {
            try DeploymentSettings.load(yaml: yaml.replacingOccurrences(of: "{ months: 1 }", with: "{ months: 1, days: 3 }"))
        }
    }
}
