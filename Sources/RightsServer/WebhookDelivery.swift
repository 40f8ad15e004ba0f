import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RightsKernel

/// Delivers each outbox message by POSTing it as JSON to the organisation's webhook, which
/// sends the mail or text. Retries with doubling backoff; the outbox id travels as
/// `Idempotency-Key` and `webhook-id`, so a receiver that saw a message before can drop the
/// repeat. Each attempt is signed in the Standard Webhooks form (``WebhookSigner``), so the
/// receiver can refuse anything RightsKit did not send; the timestamp is the real time of the
/// attempt, even in a rehearsal under `--at`, since the receiver checks it against its own clock.
struct WebhookDelivery: MessageDelivery {
    let webhook: ServerSettings.Webhook
    let signer: WebhookSigner
    let client: HTTPClient
    let logger: Logger
    /// Called once per failed attempt, for the delivery-failure metric.
    let onFailure: @Sendable () -> Void

    init(
        webhook: ServerSettings.Webhook, client: HTTPClient, logger: Logger,
        onFailure: @escaping @Sendable () -> Void
    ) throws {
        self.webhook = webhook
        signer = try WebhookSigner(secret: webhook.secret)
        self.client = client
        self.logger = logger
        self.onFailure = onFailure
    }

    struct Payload: Encodable {
        struct Recipient: Encodable {
            var kind: String
            var value: String
        }
        var id: Int64
        var kind: String
        var recipient: Recipient
        var title: String
        var body: String
        var request: String?
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func deliver(_ message: OutboundMessage, reference: Int64) async throws {
        let payload = Payload(
            id: reference, kind: message.kind.rawValue, recipient: .init(kind: message.recipient.kind, value: message.recipient.value),
            title: message.title, body: message.body, request: message.request?.rawValue
        )
        let body = try JSONEncoder().encode(payload)
        var delay = webhook.backoff
        var lastFailure = "not attempted"
        for attempt in 1...webhook.attempts {
            var request = HTTPClientRequest(url: webhook.url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Idempotency-Key", value: "rightskit-\(reference)")
            for (name, value) in signer.headers(id: "rightskit-\(reference)", body: body, at: Date()) {
                request.headers.add(name: name, value: value)
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(webhook.timeout)))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return }
                lastFailure = "the webhook answered \(response.status.code)"
            } catch {
                lastFailure = "the webhook could not be reached (\(type(of: error)))"
            }
            onFailure()
            logger.warning(
                "webhook delivery failed", metadata: ["outbox.id": "\(reference)", "attempt": "\(attempt)", "reason": "\(lastFailure)"])
            if attempt < webhook.attempts {
                try await Task.sleep(for: .milliseconds(Int(delay * 1_000)))
                delay *= 2
            }
        }
        throw Failure(description: lastFailure)
    }
}
