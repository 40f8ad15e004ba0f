import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RightsKernel

/// Delivers the outbox's status callbacks: each change of a request filed through an open
/// standard is written in that standard's format from the state it recorded, and POSTed to the
/// client's address (``RetriedPost``). A receiver that is down is tried again with doubling
/// backoff, then on a later pass of the outbox, so the change arrives once it is back.
struct StatusCallbackDelivery: MessageDelivery {
    /// The clients as the deployment file declares them at the time of each delivery.
    let standards: StandardsSource
    let client: HTTPClient
    let logger: Logger

    func deliver(_ message: OutboundMessage, reference: Int64) async throws {
        guard message.kind == .statusCallback, let url = URL(string: message.recipient.value),
            let change = try? CanonicalJSON.decode(RequestStatusChange.self, from: Data(message.body.utf8))
        else { return }
        guard let (body, signature) = self.body(for: change, to: url, standards: await standards.current()) else {
            // The client is no longer declared, or no longer allows this address: nothing is sent.
            logger.warning("status callback dropped", metadata: ["outbox.id": "\(reference)", "standard": "\(change.channel.standard)"])
            return
        }
        // "The body of the callback's response SHOULD be discarded" (DRP §2.03.1): it is.
        try await RetriedPost(client: client, logger: logger).send(
            body, to: url, reference: reference, receiver: "status callback", signed: signature)
    }

    /// The callback's body in the request's standard and the headers that sign it (for an
    /// attempt's id), when its client still allows `url`.
    func body(for change: RequestStatusChange, to url: URL, standards: StandardsSettings)
        -> (Data, @Sendable (String) -> [(String, String)])?
    {
        guard StandardsSettings.admits(url, allowed: standards.callbacks(of: change.channel)) else { return nil }
        switch change.channel.standard {
        case .dataRightsProtocol:
            guard let secret = standards.dataRightsProtocol?.agents[change.channel.client]?.callbackSecret,
                let signer = try? WebhookSigner(secret: secret),
                let body = try? StandardJSON.encode(DRPStatus(change, publicURL: standards.publicURL))
            else { return nil }
            return (body, { id in signer.headers(id: id, body: body, at: Date()).map { ($0.key, $0.value) } })
        case .openDSR:
            // §8.6: signed with the processor's certificate, the callback's address in the body.
            guard let opendsr = standards.openDSR, let body = try? StandardJSON.encode(OpenDSR.status(of: change, callback: url)) else {
                return nil
            }
            let headers = OpenDSR.signatureHeaders(body, settings: opendsr)
            return (body, { _ in headers })
        default:
            return nil
        }
    }
}
