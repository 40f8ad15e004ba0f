@preconcurrency import Crypto
import Foundation
import RightsKernel
import RightsStorage

/// The secret a subject receives when filing, scoped to that one request: an HMAC of the
/// request id under a key kept beside the ledger (`keys/request-secret.key`, 0600). Nothing per
/// request is stored, every server sharing the key recognises it, and a secret opens exactly one
/// request.
struct RequestSecrets: Sendable {
    private let key: SymmetricKey

    init(key: SymmetricKey) { self.key = key }

    /// Reads the key file, creating it (0600, in a 0700 folder) on first use; servers starting
    /// at once on one folder all read the same key.
    static func loadOrCreate(path: String) throws -> RequestSecrets {
        RequestSecrets(key: SymmetricKey(data: try PrivateFiles.sharedSecret(at: path)))
    }

    func secret(for id: RequestID) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(id.rawValue.utf8), using: key)).base64URLEncoded
    }

    /// Whether `secret` is the one for `id`, compared in constant time.
    func matches(_ secret: String?, for id: RequestID) -> Bool {
        guard let secret, secret.count <= 128 else { return false }
        return Self.constantTimeEqual(self.secret(for: id), secret)
    }

    /// Whether two secrets are equal, taking the same time wherever they first differ, so
    /// timing tells nothing of a secret's prefix.
    static func constantTimeEqual(_ expected: String, _ given: String) -> Bool {
        let expected = Array(expected.utf8)
        let given = Array(given.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
