import Crypto
import Foundation
import RightsKernel
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Delivers a transfer to one allowed recipient: an HTTP POST of the JSON export, retried, each
/// attempt recorded in the audit log with its status, never its content.
struct RecipientDelivery: Sendable {
    let url: URL
    let attempts: Int

    /// A session that never follows a redirect: a 3xx is an answer from the listed recipient,
    /// not an instruction to carry the subject's data somewhere else.
    static let session = URLSession(configuration: .ephemeral, delegate: RefuseRedirects(), delegateQueue: nil)

    struct Result: Codable, Sendable {
        var delivered: Bool
        var status: Int
        var digest: String
        var attemptedAt: Date
    }

    /// Each attempt's audit entry goes into `effects`, committed with the round's journal row.
    func deliver(_ file: URL, request: RightRequest, recipient: String, context: HandlingContext, effects: inout StepEffects) async throws -> Result {
        let body = try Data(contentsOf: file)
        let digest = SHA256.hash(data: body).hexString
        var status = 0
        for attempt in 1...attempts {
            var post = URLRequest(url: url, timeoutInterval: 30)
            post.httpMethod = "POST"
            post.setValue("application/json", forHTTPHeaderField: "Content-Type")
            post.setValue(request.id.rawValue, forHTTPHeaderField: "X-RightsKit-Request")
            post.setValue(digest, forHTTPHeaderField: "X-RightsKit-SHA256")
            do {
                let (_, response) = try await Self.session.upload(for: post, from: body)
                status = (response as? HTTPURLResponse)?.statusCode ?? 0
            } catch {
                status = 0
            }
            let delivered = (200..<300).contains(status)
            effects.record(AuditEvent(actor: "module:portability", action: delivered ? "transfer.delivered" : "transfer.failed", request: request.id, details: [
                "recipient": recipient, "attempt": "\(attempt)", "status": "\(status)", "sha256": digest,
            ]))
            if delivered { return Result(delivered: true, status: status, digest: digest, attemptedAt: context.services.clock.now) }
            if attempt < attempts { try await Task.sleep(for: .milliseconds(200 * attempt)) }
        }
        return Result(delivered: false, status: status, digest: digest, attemptedAt: context.services.clock.now)
    }
}

/// Answers every redirect with "do not follow".
final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
