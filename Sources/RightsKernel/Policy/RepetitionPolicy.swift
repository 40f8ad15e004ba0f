import Foundation

/// Clause 5.10: requests are free up to a number per window, per subject and right; beyond it
/// the deployment either quotes a cost fee or refuses.
public struct RepetitionPolicy: Sendable, Equatable {
    /// What happens to a request beyond the free allowance.
    public enum Beyond: String, Sendable, CaseIterable {
        case fee, refuse
    }

    public var windowDays: Int
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
        }
    }

    /// The start of the window that ends at `now`.
    public func windowStart(endingAt now: Date) -> Date {
        now.addingTimeInterval(-Double(windowDays) * 86_400)
    }
}

/// What the repetition policy says about one request.
public enum RepetitionDecision: Sendable, Equatable {
    case free
    case fee(FeeQuote)
    case refuse
}
