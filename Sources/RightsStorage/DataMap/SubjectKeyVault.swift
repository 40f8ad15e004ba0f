import Crypto
import Foundation
package import RightsKernel

/// Keys kept apart from the personal data they protect: the deployment's HMAC key and one
/// AES-GCM key per subject. Destroying a subject's key erases every value encrypted with it,
/// including the copies in backups (crypto-shredding).
///
/// A host application encrypts a field mapped with `erase: encrypt` through
/// ``encrypt(_:subject:)``; the subject reference is `<root table>:<root row key>`
/// (`accounts:42`), the row through which the data map links the field to its subject. The
/// vault lives in a database of its own that a driver opens (an SQLite file, a PostgreSQL
/// database), never in the one holding the data.
public final class SubjectKeyVault: Sendable {
    let executor: any StorageExecutor
    let hmacKey: Data

    /// The vault in `executor`'s database, its tables created and its deployment key made on
    /// first use; `checking` (for `check-config`) creates nothing and reads an absent vault as
    /// an empty one.
    package static func open(_ executor: any StorageExecutor, checking: Bool = false) async throws -> SubjectKeyVault {
        if checking {
            let key = try? await executor.query("SELECT key FROM deployment_keys WHERE name = 'hmac'").first?.decode("key", as: Data.self)
            return SubjectKeyVault(executor: executor, hmacKey: key ?? Data(count: 32))
        }
        let blob = executor.dialect.blobType
        let key = try await executor.transaction { connection in
            if let lock = executor.dialect.lockStatement(.number(vaultLock)) { try await connection.query(lock) }
            try await connection.query("CREATE TABLE IF NOT EXISTS deployment_keys (name TEXT PRIMARY KEY, key \(raw: blob) NOT NULL)")
            try await connection.query("CREATE TABLE IF NOT EXISTS subject_keys (subject TEXT PRIMARY KEY, key \(raw: blob) NOT NULL)")
            if let stored = try await connection.query("SELECT key FROM deployment_keys WHERE name = 'hmac'").first {
                return try stored.decode("key", as: Data.self)
            }
            let key = Self.newKey()
            try await connection.query("INSERT INTO deployment_keys (name, key) VALUES ('hmac', \(key))")
            return key
        }
        return SubjectKeyVault(executor: executor, hmacKey: key)
    }

    private init(executor: any StorageExecutor, hmacKey: Data) {
        self.executor = executor
        self.hmacKey = hmacKey
    }

    /// Vaults opened by instances starting together create their tables one at a time.
    private static let vaultLock: Int64 = 0x5269_6768_7473_564B

    /// HMAC-SHA256 of a value under the deployment key, as lowercase hex.
    public func hmac(_ value: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: SymmetricKey(data: hmacKey)).hexString
    }

    /// Encrypts a value with the subject's key, creating the key on first use; base64 of the
    /// AES-GCM combined box.
    public func encrypt(_ value: String, subject: String) async throws -> String {
        try await sealer(for: [subject]).seal(value, subject: subject)
    }

    /// The keys of `subjects`, each created on first use, in one vault transaction: a bulk
    /// import (the demo generator) seals many values with one round trip.
    public func sealer(for subjects: [String]) async throws -> SubjectSealer {
        let wanted = Array(Set(subjects)).sorted()
        let keys = try await executor.transaction { connection in
            var keys: [String: Data] = [:]
            for chunk in stride(from: 0, to: wanted.count, by: 500).map({ Array(wanted[$0..<min($0 + 500, wanted.count)]) }) {
                for row in try await connection.query("SELECT subject, key FROM subject_keys WHERE subject IN (\(list: chunk))") {
                    keys[try row.decode("subject")] = try row.decode("key", as: Data.self)
                }
            }
            for subject in wanted where keys[subject] == nil {
                let key = Self.newKey()
                try await connection.query("INSERT INTO subject_keys (subject, key) VALUES (\(subject), \(key))")
                keys[subject] = key
            }
            return keys
        }
        return SubjectSealer(keys: keys)
    }

    /// Decrypts a value; nil when the subject's key was destroyed or the value is not a box.
    public func decrypt(_ value: String, subject: String) async throws -> String? {
        guard let key = try await key(of: subject) else { return nil }
        return SubjectSealer.open(value, key: key)
    }

    /// Whether the subject still has a key.
    public func hasKey(subject: String) async throws -> Bool {
        try await key(of: subject) != nil
    }

    /// Destroys the subject's key; idempotent.
    public func destroyKey(subject: String) async throws {
        try await executor.query("DELETE FROM subject_keys WHERE subject = \(subject)")
    }

    private func key(of subject: String) async throws -> Data? {
        try await executor.query("SELECT key FROM subject_keys WHERE subject = \(subject)").first?.decode("key", as: Data.self)
    }

    private static func newKey() -> Data {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }

    /// Closes the vault's database.
    public func close() async {
        await executor.close()
    }
}

/// Subjects' keys in hand, to seal values without a round trip each.
public struct SubjectSealer: Sendable {
    let keys: [String: Data]

    /// Base64 of the AES-GCM combined box of `value` under the subject's key.
    public func seal(_ value: String, subject: String) throws -> String {
        guard let key = keys[subject] else { throw VaultError.unknownSubject }
        let box = try AES.GCM.seal(Data(value.utf8), using: SymmetricKey(data: key))
        guard let combined = box.combined else { throw VaultError.sealFailed }
        return combined.base64EncodedString()
    }

    static func open(_ value: String, key: Data) -> String? {
        guard let combined = Data(base64Encoded: value), let box = try? AES.GCM.SealedBox(combined: combined),
            let plain = try? AES.GCM.open(box, using: SymmetricKey(data: key))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }
}

/// A vault operation that failed.
public enum VaultError: Error {
    case sealFailed
    /// A value was sealed for a subject whose key was not fetched first.
    case unknownSubject
}

extension SubjectKeyVault {
    /// The journal's name for an operation on one subject (a keyed hash of the identities, never
    /// the identities): a request that acts on many subjects journals each apart.
    package func journalOperation(_ kind: String, for identities: [SubjectIdentity]) -> String {
        kind + ":" + hmac(identities.map { "\($0.kind):\($0.normalisedValue)" }.sorted().joined(separator: "|"))
    }
}
