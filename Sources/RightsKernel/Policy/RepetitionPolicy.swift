public import Foundation

/// Clause 5.10: requests are free up to a number per window, per subject and right; beyond it
/// the deployment quotes a cost fee, refuses, or (GDPR Art. 12(5), where only a finding that a
/// request is manifestly unfounded or excessive allows a fee or a refusal) asks an operator.
public struct RepetitionPolicy: Sendable, Equatable {
    /// What happens to a request beyond the free allowance.
    public enum Beyond: String, Sendable, CaseIterable {
        case fee, refuse
        /// An operator decides: approve it free, charge the fee, or refuse it as manifestly
        /// unfounded or excessive. The count only brings the request to their attention.
        case review
    }

    /// Which earlier requests count against the allowance.
    public enum Counted: String, Sendable, CaseIterable {
        /// Every verified request of the kind (PIPL's "repeated requests").
        case requests
        /// Only those answered, not denied or cancelled (CCPA §1798.130(b): a business need
        /// not provide the information more than twice in a 12-month period).
        case disclosures
    }

    public var windowDays: Int
    public var counted = Counted.requests
    /// When set, the window is this many calendar months (CCPA's "12-month period") instead of
    /// `windowDays`.
    public var windowMonths = 0
    /// The deployment's timezone, whose calendar counts the months.
    public var timeZone = TimeZone(identifier: "UTC") ?? .current
    public var free: Int
    public var beyond: Beyond
    public var fee: FeeQuote?
    /// How long a requester has to accept a quoted fee before the request lapses.
    public var feeValidDays: Int

    public init(windowDays: Int, free: Int, beyond: Beyond, fee: FeeQuote? = nil, feeValidDays: Int = 14) {
        self.windowDays = windowDays
        self.free = free
        self.beyond = beyond
        self.fee = fee
        self.feeValidDays = feeValidDays
    }

    /// The decision for a request when `earlier` requests of the same subject and right were
    /// received within the window before it.
    public func decision(earlierInWindow earlier: Int) -> RepetitionDecision {
        guard earlier >= free else { return .free }
        switch beyond {
        case .fee: return .fee(fee ?? FeeQuote(amount: 0, currency: "XXX"))
        case .refuse: return .refuse
        case .review: return .review(earlier: earlier)
        }
    }

    /// The start of the window that ends at `now`: calendar months back in the deployment's
    /// timezone, or a count of days.
    public func windowStart(endingAt now: Date) -> Date {
        if windowMonths > 0 { return CalendarPeriod.months(-windowMonths).added(to: now, in: timeZone) }
        return now.addingTimeInterval(-Double(windowDays) * 86_400)
    }

    /// The window in words, for messages.
    public var windowDescription: String {
        windowMonths > 0 ? "\(windowMonths) months" : "\(windowDays) days"
    }
}

/// What the repetition policy says about one request.
public enum RepetitionDecision: Sendable, Equatable {
    case free
    case fee(FeeQuote)
    case refuse
    /// An operator decides; `earlier` requests of the same kind fell in the window.
    case review(earlier: Int)
}
