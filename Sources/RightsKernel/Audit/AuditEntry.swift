import Crypto
package import Foundation

/// An audit event as stored: numbered, timed and chained to the entry before it.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var sequence: Int64
    /// RFC 3339 time, kept as text so the hashed bytes never depend on date rounding.
    public var time: String
    public var event: AuditEvent
    /// The hash of the previous entry (64 zeros for the first).
    public var previousHash: String
    /// SHA-256 over the previous hash and the canonical encoding of this entry.
    public var hash: String

    public init(sequence: Int64, time: String, event: AuditEvent, previousHash: String, hash: String) {
        self.sequence = sequence
        self.time = time
        self.event = event
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The hash of the first entry's predecessor.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Builds the entry that follows `previousHash`, computing its hash.
    public static func chained(sequence: Int64, time: String, event: AuditEvent, previousHash: String) throws -> AuditEntry {
        let hash = try computeHash(time: time, event: event, previousHash: previousHash)
        return AuditEntry(sequence: sequence, time: time, event: event, previousHash: previousHash, hash: hash)
    }

    /// The hash this entry's content and link should carry.
    public func expectedHash() throws -> String {
        try Self.computeHash(time: time, event: event, previousHash: previousHash)
    }

    private struct HashedContent: Encodable {
        var time: String
        var event: AuditEvent
    }

    static func computeHash(time: String, event: AuditEvent, previousHash: String) throws -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previousHash.utf8))
        hasher.update(data: try hashedContent(time: time, event: event))
        return hasher.finalize().hexString
    }

    /// What an entry's hash covers after its predecessor's hash: the hash is SHA-256 of the
    /// previous hash's text followed by these bytes. A store that links entries inside the
    /// database (one statement under the chain's lock) computes the same from them.
    package static func hashedContent(time: String, event: AuditEvent) throws -> Data {
        try CanonicalJSON.encode(HashedContent(time: time, event: event))
    }
}
