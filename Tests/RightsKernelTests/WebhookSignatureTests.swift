import Foundation
import RightsKernel
import Testing

/// Standard Webhooks signatures as a receiver checks them: what RightsKit signed passes; an
/// altered body, another secret, a stale timestamp or a malformed secret does not.
@Suite("Outbound calls signed in the Standard Webhooks form")
struct WebhookSignatureTests {
    let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
    let body = Data(#"{"kind":"verification-code"}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_796_000_000)

    @Test func aSignedDeliveryVerifiesAndAnAlteredOneDoesNot() throws {
        let signer = try WebhookSigner(secret: secret)
        let headers = signer.headers(id: "rightskit-7", body: body, at: now)
        #expect(headers["webhook-id"] == "rightskit-7" && headers["webhook-timestamp"] == "1796000000")
        #expect(headers["webhook-signature"]?.hasPrefix("v1,") == true)
        try signer.verify(headers: headers, body: body, now: now.addingTimeInterval(30))
        #expect(throws: WebhookSigner.Refusal.badSignature) { try signer.verify(headers: headers, body: body + Data(" ".utf8), now: now) }
        var renamed = headers
        renamed["webhook-id"] = "rightskit-8"
        #expect(throws: WebhookSigner.Refusal.badSignature) { try signer.verify(headers: renamed, body: body, now: now) }
        let other = try WebhookSigner(secret: "whsec_" + Data(repeating: 9, count: 32).base64EncodedString())
        #expect(throws: WebhookSigner.Refusal.badSignature) { try other.verify(headers: headers, body: body, now: now) }
        #expect(throws: WebhookSigner.Refusal.stale) { try signer.verify(headers: headers, body: body, now: now.addingTimeInterval(301)) }
        #expect(throws: WebhookSigner.Refusal.missingHeaders) { try signer.verify(headers: [:], body: body, now: now) }
    }

    @Test func theSignatureIsTheSpecificationsHMAC() throws {
        // The specification's own example: secret, id, timestamp, body and the signature it gives.
        let signer = try WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let headers = signer.headers(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", body: Data(#"{"test": 2432232314}"#.utf8), at: Date(timeIntervalSince1970: 1_614_265_330))
        #expect(headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aSecretMustBeAStandardWebhooksSecret() {
        for bad in ["", "plain-text-secret", "whsec_", "whsec_c2hvcnQ=", "whsec_not base64!"] {
            #expect(throws: WebhookSigner.Refusal.malformedSecret) { try WebhookSigner(secret: bad) }
        }
    }
}
