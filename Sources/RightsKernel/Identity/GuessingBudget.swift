public import Foundation

/// How many wrong code answers one person may give in a window, across all their requests and
/// every channel: past it no code is checked for them until the window moves on, so filing again
/// for a fresh code (and a fresh per-request allowance) gains a guesser nothing.
public struct GuessingBudget: Sendable, Equatable {
    /// Whose budget it is: the person's key, shared by their email, phone and user id.
    public var person: SubjectKey
    /// The most wrong answers in any `window`.
    public var failures: Int
    public var window: TimeInterval

    public init(person: SubjectKey, failures: Int, window: TimeInterval) {
        self.person = person
        self.failures = failures
        self.window = window
    }
}

/// A small probability as people read it ("1 in 27,322").
package enum GuessingOdds {
    package static func text(_ chance: Double) -> String {
        guard chance > 0 else { return "none" }
        guard chance < 0.5 else { return String(format: "%.0f%%", chance * 100) }
        let digits = Array(String(Int((1 / chance).rounded())))
        let grouped = digits.enumerated().map { index, digit in
            (index > 0 && (digits.count - index) % 3 == 0 ? "," : "") + String(digit)
        }
        return "1 in " + grouped.joined()
    }
}
