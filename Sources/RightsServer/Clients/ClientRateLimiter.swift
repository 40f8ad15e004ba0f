import Foundation

/// Counts what each client address does per minute (filings, code attempts) and refuses the
/// rest with the seconds to wait. The ledger's own quotas count per subject; this one stops one
/// client from trying many subjects or many codes.
actor ClientRateLimiter {
    enum Action: Hashable, Sendable { case filing, codeAttempt }

    private let limits: [Action: Int]
    private var windows: [Key: Window] = [:]
    private var lastPrune = Date.distantPast

    private struct Key: Hashable {
        var action: Action
        var client: String
    }
    private struct Window {
        var start: Date
        var count: Int
    }

    init(filingsPerMinute: Int, codeAttemptsPerMinute: Int) {
        limits = [.filing: filingsPerMinute, .codeAttempt: codeAttemptsPerMinute]
    }

    /// Counts one `action` by `client` at `now`; returns nil when allowed, else the seconds to
    /// wait.
    func admit(_ action: Action, from client: String, at now: Date) -> Int? {
        prune(at: now)
        let key = Key(action: action, client: client)
        var window = windows[key] ?? Window(start: now, count: 0)
        if now.timeIntervalSince(window.start) >= 60 { window = Window(start: now, count: 0) }
        guard window.count < limits[action, default: 0] else {
            return max(1, Int((60 - now.timeIntervalSince(window.start)).rounded(.up)))
        }
        window.count += 1
        windows[key] = window
        return nil
    }

    private func prune(at now: Date) {
        guard now.timeIntervalSince(lastPrune) > 60 else { return }
        lastPrune = now
        windows = windows.filter { now.timeIntervalSince($0.value.start) < 60 }
    }
}
