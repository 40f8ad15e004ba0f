public import Crypto
public import Foundation

/// A signed statement that the audit chain had `hash` at entry `sequence`, made after the
/// checkpoint before it.
///
/// The signing key lives outside the database, so someone who rewrites the whole chain (and its
/// head) consistently still cannot produce a checkpoint that matches the rewrite. Each
/// checkpoint also signs the previous one's signature, so the checkpoints form a chain of their
/// own: deleting one breaks the signature of the next.
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

    /// The bytes signed: sequence, hash, time and the previous checkpoint's signature (empty for
    /// the first), newline-separated.
    public static func message(sequence: Int64, hash: String, signedAt: String, previous: String) -> Data {
        Data("rightskit-audit-checkpoint-2\n\(sequence)\n\(hash)\n\(signedAt)\n\(previous)".utf8)
    }

    /// The bytes checkpoints signed before they were chained (still verified, so older logs do).
    static func unchainedMessage(sequence: Int64, hash: String, signedAt: String) -> Data {
        Data("rightskit-audit-checkpoint\n\(sequence)\n\(hash)\n\(signedAt)".utf8)
    }

    /// Signs the chain head with `key`, after `previous` (nil for the first checkpoint).
    public static func sign(
        sequence: Int64, hash: String, at time: Date, after previous: AuditCheckpoint?, with key: Curve25519.Signing.PrivateKey
    ) throws -> AuditCheckpoint {
        let signedAt = Timestamp.string(time)
        let signature = try key.signature(
            for: message(sequence: sequence, hash: hash, signedAt: signedAt, previous: previous?.signature ?? ""))
        return AuditCheckpoint(sequence: sequence, hash: hash, signedAt: signedAt, signature: signature.base64EncodedString())
    }

    /// Whether the signature is valid under `publicKey` as the checkpoint made after
    /// `previous` (nil: the first). A checkpoint from before checkpoints were chained verifies
    /// on its own.
    public func isSigned(by publicKey: Curve25519.Signing.PublicKey, after previous: AuditCheckpoint?) -> Bool {
        guard let signature = Data(base64Encoded: signature) else { return false }
        return publicKey.isValidSignature(
            signature, for: Self.message(sequence: sequence, hash: hash, signedAt: signedAt, previous: previous?.signature ?? ""))
            || publicKey.isValidSignature(signature, for: Self.unchainedMessage(sequence: sequence, hash: hash, signedAt: signedAt))
    }

}

/// The deployment's checkpoint signing key: 32 raw bytes in a file only the operator can read,
/// created on first use by `audit checkpoint`, with its public half beside it for whoever
/// verifies (verifying never needs, reads or creates the private key).
public enum AuditSigningKey {
    /// Loads the private key, creating it (and its public key file) when missing; writes the
    /// public key file when only that is missing.
    public static func loadOrCreate(path: String, publicKeyPath: String) throws -> Curve25519.Signing.PrivateKey {
        let key: Curve25519.Signing.PrivateKey
        if FileManager.default.fileExists(atPath: path) {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: Data(contentsOf: URL(fileURLWithPath: path)))
        } else {
            key = Curve25519.Signing.PrivateKey()
            try PrivateFiles.write(key.rawRepresentation, to: path)
        }
        if !FileManager.default.fileExists(atPath: publicKeyPath) {
            try PrivateFiles.write(Data(key.publicKey.rawRepresentation.base64EncodedString().utf8), to: publicKeyPath)
        }
        return key
    }

    /// Reads a public key file (base64 of the 32 raw bytes); nil when there is none.
    public static func publicKey(path: String) throws -> Curve25519.Signing.PublicKey? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text) else { throw AuditKeyError.unreadablePublicKey(path) }
        return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }
}

/// A checkpoint was refused: the chain since the newest checkpoint is not intact, so signing it
/// would seal tampering. Nothing was signed.
public struct AuditCheckpointRefused: Error, Sendable, Equatable, CustomStringConvertible {
    public let found: AuditVerification

    public init(found: AuditVerification) { self.found = found }

    public var description: String { "no checkpoint signed: \(found)" }
}

/// A key file that cannot be used.
public enum AuditKeyError: Error, CustomStringConvertible {
    case unreadablePublicKey(String)

    public var description: String {
        switch self {
        case .unreadablePublicKey(let path): "\(path) is not a public key (base64 of 32 bytes)"
        }
    }
}

/// Checkpoints published outside the database: an append-only file of one JSON object per line
/// in a folder the deployment names, so deleting checkpoints from the database (to hide a cut
/// tail) is caught by the copy kept elsewhere.
public struct PublishedCheckpoints: Sendable {
    public let file: String

    public init(folder: String) {
        file = URL(fileURLWithPath: folder).appendingPathComponent("audit-checkpoints.jsonl").path
    }

    /// Appends one checkpoint and flushes it to disk.
    public func append(_ checkpoint: AuditCheckpoint) throws {
        try PrivateFiles.createFolder(URL(fileURLWithPath: file).deletingLastPathComponent())
        let descriptor = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: file]) }
        defer { close(descriptor) }
        let line = Array((try CanonicalJSON.string(checkpoint) + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
        }
    }

    /// Every published checkpoint, in the order written; none when nothing was published.
    public func read() throws -> [AuditCheckpoint] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        return try data.split(separator: UInt8(ascii: "\n")).map { try CanonicalJSON.decode(AuditCheckpoint.self, from: Data($0)) }
    }
}
