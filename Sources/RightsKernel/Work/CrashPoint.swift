public import Foundation
import Synchronization

/// Named points where a test can stop the process dead (SIGKILL), to prove that every side
/// effect happens once whatever moment a crash picks.
///
/// The points: `<step>:effect` after a journalled step's effect and before its journal row,
/// `<step>:journal` after the journal row commits, `commit:<action>` after each ledger commit
/// (named by its last audit action), and `erase:batch` after each batch of a large erasure.
///
/// Off unless the composition root calls ``bootstrap(environment:)``: the test composition root
/// (`rightskit-testbed`) does, reading `RIGHTSKIT_CRASH_AT` (the point, optionally `name#n` for
/// its n-th arrival) and `RIGHTSKIT_CRASH_TRACE` (a file every point reached is appended to).
/// The shipped `rightskit` never does, so production processes ignore those variables.
public enum CrashPoint {
    struct Settings: Sendable {
        var target: String?
        var occurrence: Int
        var trace: String?
        var arrivals: [String: Int] = [:]
    }

    static let settings = Mutex<Settings?>(nil)

    /// Arms the crash points from the process environment. Call once, at the composition root.
    public static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var target = environment["RIGHTSKIT_CRASH_AT"]
        var occurrence = 1
        if let spec = target, let hash = spec.lastIndex(of: "#"), let count = Int(spec[spec.index(after: hash)...]) {
            target = String(spec[..<hash])
            occurrence = count
        }
        settings.withLock { $0 = Settings(target: target, occurrence: occurrence, trace: environment["RIGHTSKIT_CRASH_TRACE"]) }
    }

    /// Marks that the process reached `name`; kills it when that is the armed point.
    public static func reach(_ name: String) {
        let (trace, crash) = settings.withLock { settings -> (String?, Bool) in
            guard var current = settings else { return (nil, false) }
            current.arrivals[name, default: 0] += 1
            let crash = current.target == name && current.arrivals[name] == current.occurrence
            settings = current
            return (current.trace, crash)
        }
        if let trace { append(name + "\n", to: trace) }
        if crash { kill(getpid(), SIGKILL) }
    }

    private static func append(_ line: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = line.utf8CString.withUnsafeBufferPointer { buffer in write(descriptor, buffer.baseAddress, buffer.count - 1) }
    }
}
