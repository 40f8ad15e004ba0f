import Crypto
import Foundation
import GRDB
package import RightsKernel

/// Keys kept apart from the personal data they protect: the deployment's HMAC key and one
/// AES-GCM key per subject. Destroying a subject's key erases every value encrypted with it,
/// including the copies in backups (crypto-shredding).
///
/// A host application encrypts a field mapped with `erase: encrypt` through
/// ``encrypt(_:subject:)``; the subject reference is `<root table>:<root row key>`
/// (`accounts:42`), the row through which the data map links the field to its subject.
public final class SubjectKeyVault: Sendable {
    let database: DatabaseQueue
    let hmacKey: Data

    /// Opens an existing vault read-only to check a deployment, creating nothing; a vault not
    /// yet created is checked as an empty one in memory.
    public init(checking path: String) throws {
        if FileManager.default.fileExists(atPath: path) {
            var configuration = Configuration()
            configuration.readonly = true
            database = try DatabaseQueue(path: path, configuration: configuration)
            hmacKey = try database.read { db in
                guard try db.tableExists("deployment_keys") else { return Data(count: 32) }
                return try Data.fetchOne(db, sql: "SELECT key FROM deployment_keys WHERE name = 'hmac'") ?? Data(count: 32)
            }
        } else {
            database = try DatabaseQueue()
            hmacKey = Data(count: 32)
        }
    }

    public init(path: String) throws {
        try PrivateFiles.prepareDatabase(atPath: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // A destroyed key is overwritten with zeros, not left in a free page (rollback journal,
        // so no WAL keeps an old copy either).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON; PRAGMA journal_mode = DELETE") }
        database = try DatabaseQueue(path: path, configuration: configuration)
        hmacKey = try database.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS deployment_keys (name TEXT PRIMARY KEY, key BLOB NOT NULL);
                    CREATE TABLE IF NOT EXISTS subject_keys (subject TEXT PRIMARY KEY, key BLOB NOT NULL);
                    """)
            if let key = try Data.fetchOne(db, sql: "SELECT key FROM deployment_keys WHERE name = 'hmac'") { return key }
            let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            try db.execute(sql: "INSERT INTO deployment_keys (name, key) VALUES ('hmac', ?)", arguments: [key])
            return key
        }
    }

    /// HMAC-SHA256 of a value under the deployment key, as lowercase hex.
    public func hmac(_ value: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: SymmetricKey(data: hmacKey))
        return code.hexString
    }

    /// Encrypts a value with the subject's key, creating the key on first use; base64 of the
    /// AES-GCM combined box.
    public func encrypt(_ value: String, subject: String) throws -> String {
        let key = try database.write { db -> Data in
            if let key = try Data.fetchOne(db, sql: "SELECT key FROM subject_keys WHERE subject = ?", arguments: [subject]) { return key }
            let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            try db.execute(sql: "INSERT INTO subject_keys (subject, key) VALUES (?, ?)", arguments: [subject, key])
            return key
        }
        let box = try AES.GCM.seal(Data(value.utf8), using: SymmetricKey(data: key))
        guard let combined = box.combined else { throw VaultError.sealFailed }
        return combined.base64EncodedString()
    }

    /// Decrypts a value; nil when the subject's key was destroyed or the value is not a box.
    public func decrypt(_ value: String, subject: String) throws -> String? {
        guard
            let key = try database.read({ db in
                try Data.fetchOne(db, sql: "SELECT key FROM subject_keys WHERE subject = ?", arguments: [subject])
            }),
            let combined = Data(base64Encoded: value),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let plain = try? AES.GCM.open(box, using: SymmetricKey(data: key))
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }

    /// Whether the subject still has a key.
    public func hasKey(subject: String) throws -> Bool {
        try database.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM subject_keys WHERE subject = ?", arguments: [subject]) ?? false
        }
    }

    /// Destroys the subject's key; idempotent.
    public func destroyKey(subject: String) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM subject_keys WHERE subject = ?", arguments: [subject]) }
    }

    /// Encrypts many values in one vault transaction (the demo generator, bulk imports).
    public func withBatch<Result>(_ body: (_ encrypt: (_ value: String, _ subject: String) throws -> String) throws -> Result) throws
        -> Result
    {
        try database.write { db in
            try body { value, subject in
                let key: Data
                if let stored = try Data.fetchOne(db, sql: "SELECT key FROM subject_keys WHERE subject = ?", arguments: [subject]) {
                    key = stored
                } else {
                    key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
                    try db.execute(sql: "INSERT INTO subject_keys (subject, key) VALUES (?, ?)", arguments: [subject, key])
                }
                let box = try AES.GCM.seal(Data(value.utf8), using: SymmetricKey(data: key))
                guard let combined = box.combined else { throw VaultError.sealFailed }
                return combined.base64EncodedString()
            }
        }
    }
}

/// A vault operation that failed.
public enum VaultError: Error {
    case sealFailed
}

extension SubjectKeyVault {
    /// The journal's name for an operation on one subject (a keyed hash of the identities, never
    /// the identities): a request that acts on many subjects journals each apart.
    package func journalOperation(_ kind: String, for identities: [SubjectIdentity]) -> String {
        kind + ":" + hmac(identities.map { "\($0.kind):\($0.normalisedValue)" }.sorted().joined(separator: "|"))
    }
}
