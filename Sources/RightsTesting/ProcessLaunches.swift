public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Every subprocess a test starts, started one at a time and only while the test process
/// holds few enough descriptors.
///
/// On Linux, Foundation's `Process.run` lists `/proc/self/fd` and copies each entry's whole
/// 256-byte name field out of the directory buffer; once the listing nears that 32 KiB buffer
/// (about 1,350 open descriptors) the copy of the last entry reads past it, and the test
/// process crashed in `memcpy`. Tests running side by side (servers, pools, PostgreSQL
/// clients) pass 1,300 descriptors together for a moment, so a launch waits for them to fall,
/// suspended rather than blocking: the tests that would close them need the same threads.
public enum ProcessLaunches {
    /// One launch at a time, whichever test target asks; `posix_spawn` callers take it too.
    public static let lock = NSLock()
    /// Launches wait while the process holds more descriptors than this.
    static let descriptorCeiling = 1_250

    /// Runs `process`, one launch at a time and below the descriptor ceiling. After two minutes
    /// above it the launch goes ahead, so a leak fails a test instead of hanging the run.
    public static func run(_ process: Process) async throws {
        let deadline = Date().addingTimeInterval(120)
        while true {
            let launched = try lock.withLock {
                guard openDescriptors() <= descriptorCeiling || Date() > deadline else { return false }
                try process.run()
                return true
            }
            if launched { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Runs `process` from code that cannot suspend (a one-time setup in a `static let`),
    /// waiting at most five seconds for the descriptors to fall.
    public static func runBlocking(_ process: Process) throws {
        try lock.withLock {
            let deadline = Date().addingTimeInterval(5)
            while openDescriptors() > descriptorCeiling, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            try process.run()
        }
    }

    /// How many descriptors the process holds, counted without reading an entry's name (the
    /// read that overruns).
    static func openDescriptors() -> Int {
        #if os(Linux)
            guard let directory = opendir("/proc/self/fd") else { return 0 }
            defer { closedir(directory) }
            var count = 0
            while readdir(directory) != nil { count += 1 }
            // ".", "..", and the listing's own descriptor.
            return max(0, count - 3)
        #else
            return 0
        #endif
    }
}
