import Foundation
import RightsKernel
import RightsStore
import Testing

@Suite("Deadlines count in the deployment's timezone, across weekends, with one extension")
struct DeadlinePolicyTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    let losAngeles = TimeZone(identifier: "America/Los_Angeles")!

    func instant(_ text: String) -> Date { Timestamp.date(text)! }

    @Test func calendarDaysIncludeWeekends() {
        let policy = DeadlinePolicy(days: 15, timeZone: shanghai)
        // Monday 2026-11-30 10:00 in Shanghai; day 15 is Tuesday 2026-12-15, due at its last second.
        let due = policy.due(receivedAt: instant("2026-11-30T02:00:00Z"))
        #expect(Timestamp.string(due) == "2026-12-15T15:59:59.000Z")
    }

    @Test func businessDaysSkipWeekends() {
        let policy = DeadlinePolicy(days: 5, businessDays: true, timeZone: shanghai)
        // Thursday 2026-12-03: Fri 4, Mon 7, Tue 8, Wed 9, Thu 10.
        let due = policy.due(receivedAt: instant("2026-12-03T02:00:00Z"))
        #expect(Timestamp.string(due) == "2026-12-10T15:59:59.000Z")
    }

    @Test func receiptOnAWeekendCountsFromTheNextWorkingDay() {
        let policy = DeadlinePolicy(days: 1, businessDays: true, timeZone: shanghai)
        // Saturday 2026-12-05 in Shanghai: the first business day after it is Monday the 7th.
        let due = policy.due(receivedAt: instant("2026-12-05T04:00:00Z"))
        #expect(Timestamp.string(due) == "2026-12-07T15:59:59.000Z")
    }

    @Test func theLocalDateDecidesAcrossATimezoneBoundary() {
        // Sunday 2026-12-06 20:00 UTC is Monday 04:00 in Shanghai: day 0 is Monday, so one
        // business day ends on Tuesday; read in UTC it would have ended on Monday.
        let oneDay = DeadlinePolicy(days: 1, businessDays: true, timeZone: shanghai)
        #expect(Timestamp.string(oneDay.due(receivedAt: instant("2026-12-06T20:00:00Z"))) == "2026-12-08T15:59:59.000Z")
        // Monday 2026-11-30 17:00 UTC is already Tuesday 1 December in Shanghai.
        let fifteen = DeadlinePolicy(days: 15, timeZone: shanghai)
        #expect(Timestamp.string(fifteen.due(receivedAt: instant("2026-11-30T17:00:00Z"))) == "2026-12-16T15:59:59.000Z")
        // The same instant in Los Angeles is Monday morning: fifteen days end on 15 December, Pacific.
        let pacific = DeadlinePolicy(days: 15, timeZone: losAngeles)
        #expect(Timestamp.string(pacific.due(receivedAt: instant("2026-11-30T17:00:00Z"))) == "2026-12-16T07:59:59.000Z")
    }

    @Test func holidaysAreNotWorkingDays() {
        let policy = DeadlinePolicy(days: 3, businessDays: true, holidays: ["2027-01-01"], timeZone: shanghai)
        // Wednesday 2026-12-30: Thu 31, (Fri 1 Jan holiday), Mon 4, Tue 5.
        let due = policy.due(receivedAt: instant("2026-12-30T02:00:00Z"))
        #expect(Timestamp.string(due) == "2027-01-05T15:59:59.000Z")
    }

    @Test func extensionCountsFromTheCurrentDueDate() {
        let policy = DeadlinePolicy(days: 45, extensionDays: 45, timeZone: losAngeles)
        let due = policy.due(receivedAt: instant("2026-11-30T18:00:00Z"))
        // Day 45 is Thursday 2027-01-14, ending at midnight Pacific (08:00 UTC on the 15th).
        #expect(Timestamp.string(due) == "2027-01-15T07:59:59.000Z")
        #expect(Timestamp.string(policy.extended(due, receivedAt: due)) == "2027-03-01T07:59:59.000Z")
    }

    @Test func daylightSavingDoesNotShiftTheEndOfDay() {
        // Los Angeles moves to daylight time on 2027-03-14; the deadline still ends at local midnight.
        let policy = DeadlinePolicy(days: 10, timeZone: losAngeles)
        let due = policy.due(receivedAt: instant("2027-03-10T18:00:00Z"))
        #expect(Timestamp.string(due) == "2027-03-21T06:59:59.000Z")
    }
}
