public import Foundation
public import RightsKernel
import Synchronization

/// A clock that stands still until a test moves it.
public final class SettableClock: WallClock {
    private let current: Mutex<Date>

    /// Starts at `start`, by default 2026-11-30 09:00 UTC (a Monday).
    public init(_ start: Date = Date(timeIntervalSince1970: 1_796_029_200)) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func set(_ date: Date) { current.withLock { $0 = date } }

    public func advance(by interval: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(interval) } }

    public func advance(days: Int) { advance(by: Double(days) * 86_400) }
}
