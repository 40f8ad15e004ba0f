import Synchronization

/// The requests a pipeline (and its copies) is carrying out right now. A claim lets its own
/// owner in again, so without this the background resume of `serve` could start a request that
/// an HTTP call of the same process is still working: both would run its steps and the second
/// to record one would fail. Resume skips what is listed here.
final class WorkInProgress: Sendable {
    private let requests = Mutex<[RequestID: Int]>([:])

    /// Lists `request` for the duration of `body`.
    func working<Result>(on request: RequestID, _ body: () async throws -> Result) async rethrows -> Result {
        requests.withLock { $0[request, default: 0] += 1 }
        defer {
            requests.withLock { running in
                if let count = running[request], count > 1 { running[request] = count - 1 } else { running[request] = nil }
            }
        }
        return try await body()
    }

    func contains(_ request: RequestID) -> Bool {
        requests.withLock { $0[request] != nil }
    }
}
