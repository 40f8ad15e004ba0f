public import Foundation
import RightsKernel

/// What the people who answer to a regulator ask of a period: requests by right and month, by
/// outcome, the share answered within the deadline, the median and 90th-percentile time to
/// answer, the requests overdue now and the extensions used. Every figure is computed in the
/// database; no request is loaded.
public struct RequestReport: Sendable, Equatable {
    /// One calendar month of the period (cut at the period's ends), in the deployment's time zone.
    public struct Month: Sendable, Equatable {
        public var label: String
        public var start: Date
        public var end: Date

        public init(label: String, start: Date, end: Date) {
            self.label = label
            self.start = start
            self.end = end
        }
    }

    /// Requests received in one month for one right.
    public struct MonthCount: Sendable, Equatable {
        public var month: String
        public var right: String
        public var count: Int

        public init(month: String, right: String, count: Int) {
            self.month = month
            self.right = right
            self.count = count
        }
    }

    public var received = 0
    public var byRightAndMonth: [MonthCount] = []
    /// Requests received in the period, by the state they are in now.
    public var byState: [String: Int] = [:]
    /// Requests received in the period and answered (completed, partly completed or denied).
    public var answered = 0
    public var answeredInTime = 0
    /// Seconds from receipt to answer, by nearest rank; nil when nothing was answered.
    public var medianToAnswer: TimeInterval?
    public var ninetiethToAnswer: TimeInterval?
    /// Open requests past their deadline now, whenever they were received.
    public var overdueNow = 0
    /// Requests received in the period whose deadline was extended.
    public var extended = 0

    public init() {}

    /// The share of answered requests answered by their deadline (nil when none was answered).
    public var shareInTime: Double? { answered == 0 ? nil : Double(answeredInTime) / Double(answered) }

    /// The calendar months from `start` up to `end` (exclusive) in `timeZone`, the first and last
    /// cut at the period's ends.
    public static func months(from start: Date, to end: Date, in timeZone: TimeZone) -> [Month] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var months: [Month] = []
        var cursor = start
        while cursor < end {
            let parts = calendar.dateComponents([.year, .month], from: cursor)
            guard let monthStart = calendar.date(from: parts), let next = calendar.date(byAdding: .month, value: 1, to: monthStart) else {
                break
            }
            let label = String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
            months.append(Month(label: label, start: cursor, end: min(next, end)))
            cursor = next
        }
        return months
    }
}

extension LedgerStore {
    /// The report over the requests received in `months` (consecutive, from the first one's start
    /// to the last one's end), with the requests overdue at `now`.
    public func report(months: [RequestReport.Month], at now: Date) async throws -> RequestReport {
        var report = RequestReport()
        report.overdueNow = try await overdueCount(at: now)
        guard let first = months.first, let last = months.last else { return report }
        let from = first.start.sqlSeconds
        let to = last.end.sqlSeconds
        let inPeriod: SQLStatement = "received_at >= \(from) AND received_at < \(to)"
        let answeredStates = [RequestState.completed, .partiallyCompleted, .denied].map(\.rawValue)
        let answered: SQLStatement = inPeriod + " AND final_at IS NOT NULL AND state IN (\(list: answeredStates))"

        let ranges = SQLStatement.joined(
            months.map { "SELECT \($0.label) AS label, \($0.start.sqlSeconds) AS start_at, \($0.end.sqlSeconds) AS end_at" },
            separator: " UNION ALL ")
        report.byRightAndMonth = try await run(
            """
            SELECT months.label AS month, r."right" AS right_id, COUNT(*) AS n
            FROM requests r JOIN (\(ranges)) months ON r.received_at >= months.start_at AND r.received_at < months.end_at
            GROUP BY months.label, r."right" ORDER BY months.label, r."right"
            """
        ).map { RequestReport.MonthCount(month: try $0.decode("month"), right: try $0.decode("right_id"), count: try $0.decode("n")) }
        report.received = report.byRightAndMonth.reduce(0) { $0 + $1.count }
        for row in try await run("SELECT state, COUNT(*) AS n FROM requests WHERE \(inPeriod) GROUP BY state") {
            report.byState[try row.decode("state")] = try row.decode("n")
        }
        let extensionReason = dialect.jsonField("body", "extensionReason")
        let totals = try await run(
            """
            SELECT
              (SELECT COUNT(*) FROM requests WHERE \(answered)) AS answered,
              (SELECT COUNT(*) FROM requests WHERE \(answered) AND final_at <= due_at) AS in_time,
              (SELECT COUNT(*) FROM requests WHERE \(inPeriod) AND \(raw: extensionReason) IS NOT NULL) AS extended
            """
        ).first
        report.answered = try totals?.decode("answered") ?? 0
        report.answeredInTime = try totals?.decode("in_time") ?? 0
        report.extended = try totals?.decode("extended") ?? 0
        if report.answered > 0 {
            report.medianToAnswer = try await timeToAnswer(rank: Self.nearestRank(0.5, of: report.answered), where: answered)
            report.ninetiethToAnswer = try await timeToAnswer(rank: Self.nearestRank(0.9, of: report.answered), where: answered)
        }
        return report
    }

    /// The zero-based position of the `fraction` percentile among `count` values, by nearest rank.
    static func nearestRank(_ fraction: Double, of count: Int) -> Int {
        max(0, Int((fraction * Double(count)).rounded(.up)) - 1)
    }

    /// The time to answer at zero-based `rank` among the answered requests, sorted in the database.
    private func timeToAnswer(rank: Int, where filter: SQLStatement) async throws -> TimeInterval? {
        try await run("SELECT final_at - received_at AS t FROM requests WHERE \(filter) ORDER BY t LIMIT 1 OFFSET \(rank)").first?
            .decode("t", as: Double.self)
    }
}
