import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RightsKernel

/// Delivers the outbox's status callbacks: each change of a request filed through an open
/// standard is written in that standard's format from the state it recorded, and POSTed to the
/// client's address. A receiver that is down is tried again with doubling backoff, then on a
/// later pass of the outbox, so the change arrives once it is back; the outbox id travels as
/// `Idempotency-Key`, so a receiver that saw it before can drop the repeat.
struct StatusCallbackDelivery: MessageDelivery {
    /// The clients as the deployment file declares them at the time of each delivery.
    let standards: StandardsSource
    let client: HTTPClient
    let logger: Logger
    var attempts = 3
    var backoff: TimeInterval = 0.5
    var timeout: TimeInterval = 10

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func deliver(_ message: OutboundMessage, reference: Int64) async throws {
        guard message.kind == .statusCallback, let url = URL(string: message.recipient.value),
            let change = try? CanonicalJSON.decode(RequestStatusChange.self, from: Data(message.body.utf8))
        else { return }
        guard let (body, signature) = self.body(for: change, to: url, standards: await standards.current()) else {
            // The client is no longer declared, or no longer allows this address: nothing is sent.
            logger.warning("status callback dropped", metadata: ["outbox.id": "\(reference)", "standard": "\(change.channel.standard)"])
            return
        }
        var delay = backoff
        var lastFailure = "not attempted"
        for attempt in 1...attempts {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Idempotency-Key", value: "rightskit-\(reference)")
            for (name, value) in signature("rightskit-\(reference)") { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(timeout)))
                // "The body of the callback's response SHOULD be discarded" (DRP §2.03.1).
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return }
                lastFailure = "the receiver answered \(response.status.code)"
            } catch {
                lastFailure = "the receiver could not be reached (\(type(of: error)))"
            }
            logger.warning(
                "status callback failed", metadata: ["outbox.id": "\(reference)", "attempt": "\(attempt)", "reason": "\(lastFailure)"])
            if attempt < attempts {
                try await Task.sleep(for: .milliseconds(Int(delay * 1_000)))
                delay *= 2
            }
        }
        throw Failure(description: lastFailure)
    }

    /// The callback's body in the request's standard and the headers that sign it (for an
    /// attempt's id), when its client still allows `url`.
    func body(for change: RequestStatusChange, to url: URL, standards: StandardsSettings)
        -> (Data, @Sendable (String) -> [(String, String)])?
    {
        switch change.channel.standard {
        case .dataRightsProtocol:
            guard let drp = standards.dataRightsProtocol, let agent = drp.agents[change.channel.client],
                StandardsSettings.admits(url, allowed: agent.callbacks), let secret = agent.callbackSecret,
                let signer = try? WebhookSigner(secret: secret),
                let body = try? StandardJSON.encode(DRPStatus(change, publicURL: standards.publicURL))
            else { return nil }
            return (body, { id in signer.headers(id: id, body: body, at: Date()).map { ($0.key, $0.value) } })
        case .openDSR:
            // §8.6: signed with the processor's certificate, the callback's address in the body.
            guard let opendsr = standards.openDSR, let controller = opendsr.controllers[change.channel.client],
                StandardsSettings.admits(url, allowed: controller.callbacks),
                let body = try? StandardJSON.encode(OpenDSR.status(of: change, callback: url))
            else { return nil }
            let headers = OpenDSR.signatureHeaders(body, settings: opendsr)
            return (body, { _ in headers })
        default:
            return nil
        }
    }
}
