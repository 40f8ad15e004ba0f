import Crypto
import Foundation
import RightsKernel

/// Delivers a transfer to one allowed recipient: an HTTP POST of the JSON export, signed in the
/// Standard Webhooks form with the secret shared with that recipient, retried, each attempt
/// recorded in the audit log with its status, never its content. Without a usable secret
/// nothing is sent.
struct RecipientDelivery: Sendable {
    let url: URL
    let secretEnvironment: String
    let attempts: Int
    let http: AllowListedHTTP

    struct Result: Codable, Sendable {
        var delivered: Bool
        var status: Int
        var digest: String
        var attemptedAt: Date
    }

    /// Each attempt's audit entry goes into `effects`, committed with the round's journal row.
    func deliver(_ file: URL, request: RightRequest, recipient: String, context: HandlingContext, effects: inout StepEffects) async throws
        -> Result
    {
        let body = try Data(contentsOf: file)
        let digest = SHA256.hash(data: body).hexString
        let headers = ["Content-Type": "application/json", "X-RightsKit-Request": request.id.rawValue, "X-RightsKit-SHA256": digest]
        let signer: WebhookSigner
        do {
            signer = try WebhookSigner(secret: ProcessInfo.processInfo.environment[secretEnvironment] ?? "")
        } catch {
            effects.record(
                AuditEvent(
                    actor: .module(PortabilityRight.identifier), action: .transferFailed, request: request.id,
                    details: [
                        "recipient": recipient, "attempt": "0", "status": "0", "sha256": digest,
                        "reason": "not sent: the signing secret in \(secretEnvironment) is missing or malformed",
                    ]))
            return Result(delivered: false, status: 0, digest: digest, attemptedAt: context.services.clock.now)
        }
        var status = 0
        for attempt in 1...attempts {
            do {
                // One delivery id for every attempt, so the recipient can drop a repeat.
                let signature = signer.headers(id: "rightskit-transfer-\(request.id)", body: body, at: Date())
                status = try await http.post(
                    body, to: url, headers: headers.merging(signature) { $1 }, timeout: .seconds(30))
            } catch {
                status = 0
            }
            let delivered = (200..<300).contains(status)
            effects.record(
                AuditEvent(
                    actor: .module(PortabilityRight.identifier), action: delivered ? .transferDelivered : .transferFailed,
                    request: request.id,
                    details: [
                        "recipient": recipient, "attempt": "\(attempt)", "status": "\(status)", "sha256": digest,
                    ]))
            if delivered { return Result(delivered: true, status: status, digest: digest, attemptedAt: context.services.clock.now) }
            if attempt < attempts { try await Task.sleep(for: .milliseconds(200 * attempt)) }
        }
        return Result(delivered: false, status: status, digest: digest, attemptedAt: context.services.clock.now)
    }
}

extension AuditAction {
    /// The copy delivered to the recipient.
    static let transferDelivered = AuditAction(rawValue: "transfer.delivered")
    /// The recipient did not accept the copy.
    static let transferFailed = AuditAction(rawValue: "transfer.failed")
}
