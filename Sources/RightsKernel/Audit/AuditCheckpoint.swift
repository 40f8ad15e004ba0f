import Crypto
import Foundation

/// A signed statement that the audit chain had `hash` at entry `sequence`.
///
/// The signing key lives outside the database, so someone who rewrites the whole chain (and its
/// head) consistently still cannot produce a checkpoint that matches the rewrite.
public struct AuditCheckpoint: Codable, Sendable, Equatable {
    public var sequence: Int64
    public var hash: String
    public var signedAt: String
    /// Ed25519 signature over ``message``, base64.
    public var signature: String

    public init(sequence: Int64, hash: String, signedAt: String, signature: String) {
        self.sequence = sequence
        self.hash = hash
        self.signedAt = signedAt
        self.signature = signature
    }

    /// The bytes signed: sequence, hash and time, newline-separated.
    public static func message(sequence: Int64, hash: String, signedAt: String) -> Data {
        Data("rightskit-audit-checkpoint\n\(sequence)\n\(hash)\n\(signedAt)".utf8)
    }

    /// Signs the chain head with `key`.
    public static func sign(sequence: Int64, hash: String, at time: Date, with key: Curve25519.Signing.PrivateKey) throws -> AuditCheckpoint {
        let signedAt = Timestamp.string(time)
        let signature = try key.signature(for: message(sequence: sequence, hash: hash, signedAt: signedAt))
        return AuditCheckpoint(sequence: sequence, hash: hash, signedAt: signedAt, signature: signature.base64EncodedString())
    }

    /// Whether the signature is valid under `publicKey`.
    public func isSigned(by publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature = Data(base64Encoded: signature) else { return false }
        return publicKey.isValidSignature(signature, for: Self.message(sequence: sequence, hash: hash, signedAt: signedAt))
    }
}

/// The deployment's checkpoint signing key: 32 raw bytes in a file only the operator can read,
/// created on first use.
public enum AuditSigningKey {
    public static func load(path: String) throws -> Curve25519.Signing.PrivateKey {
        if FileManager.default.fileExists(atPath: path) {
            return try Curve25519.Signing.PrivateKey(rawRepresentation: Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let key = Curve25519.Signing.PrivateKey()
        try PrivateFiles.write(key.rawRepresentation, to: path)
        return key
    }
}
