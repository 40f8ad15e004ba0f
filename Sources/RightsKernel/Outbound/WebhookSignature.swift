import Crypto
public import Foundation

/// Signs what RightsKit POSTs to another system (a message to the organisation's webhook, a
/// portability transfer) in the Standard Webhooks form, so the receiver can refuse anything
/// RightsKit did not send, anything altered, and anything replayed: `webhook-id`,
/// `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`.
///
/// The secret is shared with that one receiver and comes from the environment, never the
/// deployment file: `whsec_` followed by base64 of 24 to 64 random bytes.
public struct WebhookSigner: Sendable {
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }

    /// Why a secret or a signed delivery was refused; never repeats the secret or the body.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case malformedSecret
        case missingHeaders
        case stale
        case badSignature

        public var description: String {
            switch self {
            case .malformedSecret: "expected whsec_ followed by base64 of 24 to 64 random bytes (openssl rand -base64 32)"
            case .missingHeaders: "webhook-id, webhook-timestamp and webhook-signature are required"
            case .stale: "the timestamp is outside the tolerance: a replay, or a clock far off"
            case .badSignature: "no signature matches: the body or its headers were altered, or the secret differs"
            }
        }
    }

    public init(secret: String) throws(Refusal) {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : ""
        guard let bytes = Data(base64Encoded: encoded), (24...64).contains(bytes.count) else { throw .malformedSecret }
        self.secret = Array(bytes)
    }

    /// The headers that sign `body` as delivery `id` (the same for every retry of one delivery,
    /// so the receiver can drop a repeat) sent at `time`.
    public func headers(id: String, body: Data, at time: Date) -> [String: String] {
        let timestamp = String(Int(time.timeIntervalSince1970))
        return [
            "webhook-id": id, "webhook-timestamp": timestamp,
            "webhook-signature": "v1," + signature(id: id, timestamp: timestamp, body: body),
        ]
    }

    /// Checks a delivery as a receiver does: a `v1` signature among those given matches, and
    /// the timestamp is within `tolerance` of `now`. Replays inside the tolerance are the
    /// receiver's to drop by `webhook-id`.
    public func verify(headers: [String: String], body: Data, now: Date, tolerance: TimeInterval = 300) throws(Refusal) {
        let lowered = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
        guard let id = lowered["webhook-id"], let timestamp = lowered["webhook-timestamp"], let signatures = lowered["webhook-signature"],
            let seconds = TimeInterval(timestamp)
        else { throw .missingHeaders }
        guard abs(now.timeIntervalSince1970 - seconds) <= tolerance else { throw .stale }
        let offered = signatures.split(separator: " ").compactMap { entry -> Data? in
            let parts = entry.split(separator: ",", maxSplits: 1)
            return parts.count == 2 && parts[0] == "v1" ? Data(base64Encoded: String(parts[1])) : nil
        }
        // Compared by HMAC's own constant-time check.
        let content = Self.content(id, timestamp, body)
        guard offered.contains(where: { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: content, using: key) })
        else { throw .badSignature }
    }

    private func signature(id: String, timestamp: String, body: Data) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Self.content(id, timestamp, body), using: key)).base64EncodedString()
    }

    private static func content(_ id: String, _ timestamp: String, _ body: Data) -> Data {
        Data("\(id).\(timestamp).".utf8) + body
    }
}
