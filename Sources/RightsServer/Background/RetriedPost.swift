import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One outbox message POSTed as JSON, tried `attempts` times with doubling backoff: the
/// organisation's webhook and the open standards' status callbacks both deliver this way. The
/// outbox id travels as `Idempotency-Key`, so a receiver that saw the message before can drop
/// the repeat; the answer's body is read and discarded.
struct RetriedPost {
    let client: HTTPClient
    let logger: Logger
    var attempts = 3
    var backoff: TimeInterval = 0.5
    var timeout: TimeInterval = 10

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends `body` to `url` with the headers `signed` gives for the attempt's id; returns once a
    /// 2xx answers, throws the last failure after the last attempt. `receiver` names it in the
    /// failure and the log; `onFailure` runs once per failed attempt.
    func send(
        _ body: Data, to url: URL, reference: Int64, receiver: String, signed: (String) -> [(String, String)],
        onFailure: () -> Void = {}
    ) async throws {
        var delay = backoff
        var lastFailure = "not attempted"
        for attempt in 1...attempts {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Idempotency-Key", value: "rightskit-\(reference)")
            for (name, value) in signed("rightskit-\(reference)") { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(timeout)))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return }
                lastFailure = "the \(receiver) answered \(response.status.code)"
            } catch {
                lastFailure = "the \(receiver) could not be reached (\(type(of: error)))"
            }
            onFailure()
            logger.warning(
                "\(receiver) delivery failed", metadata: ["outbox.id": "\(reference)", "attempt": "\(attempt)", "reason": "\(lastFailure)"])
            if attempt < attempts {
                try await Task.sleep(for: .milliseconds(Int(delay * 1_000)))
                delay *= 2
            }
        }
        throw Failure(description: lastFailure)
    }
}
