public import Foundation

/// The current time, injected so tests can set it.
public protocol WallClock: Sendable {
    var now: Date { get }
    /// True for a rehearsal clock: every audit entry written under it says so.
    var isSimulated: Bool { get }
}

extension WallClock {
    public var isSimulated: Bool { false }
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock for rehearsals (`rightskit --at 2027-01-31 …`): it starts at a chosen time and runs on
/// from there at the real pace, so a deadline, an end date or a hold's expiry can be tried
/// without waiting. Audit entries written under it are marked and `audit verify` counts them.
public struct SimulatedClock: WallClock {
    let start: Date
    let realStart: Date

    public init(startingAt start: Date) {
        self.start = start
        self.realStart = Date()
    }

    public var now: Date { start.addingTimeInterval(Date().timeIntervalSince(realStart)) }
    public var isSimulated: Bool { true }
}
