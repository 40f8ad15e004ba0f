import Foundation

/// Runs an async body to completion on the thread that calls ``run(_:)``, which waits for it:
/// jobs the body's task enqueues are run right there, in order. The SQLite driver calls it
/// inside GRDB's write (or read) closure, so the storage core's async algorithm runs on the
/// connection's own thread: its statements are plain calls, none of them waits for a thread
/// of the cooperative pool, and the write lock is held for the algorithm's work alone.
final class InlineTaskExecutor: TaskExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var finished = false
    private let condition = NSCondition()

    func enqueue(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on this thread and returns what it returned or rethrows what it threw.
    static func run<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) throws -> Result {
        let executor = InlineTaskExecutor()
        let outcome = OutcomeBox<Result>()
        Task(executorPreference: executor) {
            do { outcome.value = .success(try await body()) } catch { outcome.value = .failure(error) }
            executor.finish()
        }
        executor.drain()
        guard let value = outcome.value else { throw InlineTaskUnfinished() }
        return try value.get()
    }

    private func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    /// Runs enqueued jobs until the body has finished and no job is left.
    private func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// The body's result, written by its task before `finish` and read after `drain` returns.
    private final class OutcomeBox<Value: Sendable>: @unchecked Sendable {
        var value: Swift.Result<Value, any Error>?
    }
}

/// The body's task ended without a result (it cannot, unless the runtime dropped it).
struct InlineTaskUnfinished: Error, CustomStringConvertible {
    var description: String { "a storage transaction ended without a result" }
}
