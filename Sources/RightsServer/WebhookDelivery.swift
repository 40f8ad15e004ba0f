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

    func deliver(_ message: OutboundMessage, reference: Int64) async throws {
        let payload = Payload(
            id: reference, kind: message.kind.rawValue, recipient: .init(kind: message.recipient.kind, value: message.recipient.value),
            title: message.title, body: message.body, request: message.request?.rawValue
        )
        let body = try JSONEncoder().encode(payload)
        let post = RetriedPost(
            client: client, logger: logger, attempts: webhook.attempts, backoff: webhook.backoff, timeout: webhook.timeout)
        try await post.send(
            body, to: webhook.url, reference: reference, receiver: "webhook",
            signed: { id in signer.headers(id: id, body: body, at: Date()).map { ($0.key, $0.value) } }, onFailure: onFailure)
    }
}
