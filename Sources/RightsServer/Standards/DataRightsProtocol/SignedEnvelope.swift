import Crypto
import Foundation

/// A DRP signed body: Base64 of an Ed25519 signature (64 bytes) followed by the JSON it signs
/// (libsodium's "combined mode", DRP 1.0 §3.07.1), opened and checked in the order §3.07 gives.
struct SignedEnvelope {
    /// The signed JSON, parsed.
    let claims: [String: Any]

    /// Why an envelope was refused, in the order the checks run.
    enum Refusal: Error, Equatable {
        case notBase64
        case badSignature
        case wrongAgent
        case wrongBusiness
        case notYetValid
        case expired
        case notJSON
    }

    /// Opens `body` signed by `key`. The agent and business named inside must be `agent` and
    /// `business`, and now must fall within `issued-at` … `expires-at`.
    ///
    /// DRP 1.0 orders the checks signature, agent, business, issued-at, expires-at; JSON parsing
    /// is not in its list, and is read here as part of the signature step (a body whose signed
    /// part is not a JSON object carries no claims to check).
    ///
    /// With `envelopeClaims: false` a body that carries none of the envelope's own claims (a
    /// revocation's `{reason}`, §2.04) is opened on its signature alone.
    init(body: String, key: Curve25519.Signing.PublicKey, agent: String, business: String, now: Date, envelopeClaims: Bool = true)
        throws(Refusal)
    {
        let claims = try Self.signedClaims(body, key: key)
        if envelopeClaims || claims["agent-id"] != nil { try Self.check(claims, agent: agent, business: business, now: now) }
        self.claims = claims
    }

    /// The JSON object `body` signs with `key`: Base64 decoded, the signature checked, then parsed.
    private static func signedClaims(_ body: String, key: Curve25519.Signing.PublicKey) throws(Refusal) -> [String: Any] {
        guard let data = Data(base64Encoded: body.trimmingCharacters(in: .whitespacesAndNewlines)), data.count > 64 else {
            throw .notBase64
        }
        let signature = data.prefix(64)
        let message = data.dropFirst(64)
        guard key.isValidSignature(signature, for: message) else { throw .badSignature }
        guard let claims = (try? JSONSerialization.jsonObject(with: message)) as? [String: Any] else { throw .notJSON }
        return claims
    }

    /// The envelope's own claims, in §3.07's order after the signature.
    private static func check(_ claims: [String: Any], agent: String, business: String, now: Date) throws(Refusal) {
        guard claims["agent-id"] as? String == agent else { throw .wrongAgent }
        guard claims["business-id"] as? String == business else { throw .wrongBusiness }
        // A timestamp that does not parse is treated as not valid: not yet issued, or expired.
        guard let issued = (claims["issued-at"] as? String).flatMap(Self.instant), issued <= now else { throw .notYetValid }
        guard let expires = (claims["expires-at"] as? String).flatMap(Self.instant), now < expires else { throw .expired }
    }

    /// An ISO 8601 instant, with or without fractional seconds.
    static func instant(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
