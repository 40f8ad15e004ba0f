import Foundation
import GRDB
import RightsKernel

/// The embedded default store: one SQLite file (WAL) holding the request ledger, the step
/// journal, the audit chain, holds, one-time codes and the notification outbox.
///
/// One object serves several kernel protocols so that a state change and its audit entry
/// commit in one transaction.
public final class SQLiteStore: Sendable {
    let database: any DatabaseWriter
    let clock: any WallClock
    let subjectSecret: Data

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it. Opening
    /// and migrating happen under an exclusive lock on `<path>.lock`, so any number of
    /// processes may start on an empty folder at once.
    public convenience init(path: String, clock: any WallClock = SystemClock()) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let lock = try ExclusiveFileLock(path: path + ".lock")
        defer { lock.release() }
        try self.init(database: DatabasePool(path: path, configuration: configuration), clock: clock)
    }

    /// An in-memory store, for validating a deployment without touching its files.
    public static func inMemory(clock: any WallClock = SystemClock()) throws -> SQLiteStore {
        try SQLiteStore(database: DatabaseQueue(), clock: clock)
    }

    init(database: any DatabaseWriter, clock: any WallClock) throws {
        self.database = database
        self.clock = clock
        try Self.migrator.migrate(database)
        subjectSecret = try database.write { db in try Self.loadOrCreateSecret(db) }
    }

    private static func loadOrCreateSecret(_ db: Database) throws -> Data {
        if let secret = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'subject_secret'") { return secret }
        var generator = SystemRandomNumberGenerator()
        let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('subject_secret', ?)", arguments: [secret])
        return secret
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE requests (
                    id TEXT PRIMARY KEY,
                    right TEXT NOT NULL,
                    subject_key TEXT NOT NULL,
                    state TEXT NOT NULL,
                    received_at REAL NOT NULL,
                    due_at REAL NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE INDEX requests_by_subject ON requests (subject_key, right, received_at);
                CREATE INDEX requests_by_state ON requests (state, due_at);
                CREATE TABLE journal (
                    request_id TEXT NOT NULL REFERENCES requests(id),
                    step TEXT NOT NULL,
                    result BLOB NOT NULL,
                    recorded_at REAL NOT NULL,
                    PRIMARY KEY (request_id, step)
                );
                CREATE TABLE audit_entries (
                    seq INTEGER PRIMARY KEY,
                    time TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    request_id TEXT,
                    details TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_by_request ON audit_entries (request_id);
                CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
                CREATE TABLE holds (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    subject_key TEXT,
                    category TEXT,
                    ground_code TEXT NOT NULL,
                    ground_explanation TEXT NOT NULL,
                    authority TEXT NOT NULL,
                    expires_at REAL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX holds_by_subject ON holds (subject_key);
                CREATE TABLE verification_codes (
                    request_id TEXT PRIMARY KEY,
                    salt BLOB NOT NULL,
                    hash BLOB NOT NULL,
                    expires_at REAL NOT NULL,
                    attempts INTEGER NOT NULL,
                    max_attempts INTEGER NOT NULL,
                    consumed INTEGER NOT NULL
                );
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    request_id TEXT,
                    kind TEXT NOT NULL,
                    recipient_kind TEXT NOT NULL,
                    recipient_value TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX outbox_by_request ON outbox (request_id);
                """)
        }
        migrator.registerMigration("v2-checkpoints") { db in
            try db.execute(sql: """
                CREATE TABLE audit_checkpoints (
                    seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, signed_at TEXT NOT NULL, signature TEXT NOT NULL)
                """)
        }
        migrator.registerMigration("v3-claims") { db in
            // A version per request makes every change conditional on the state it replaces;
            // the claim is the lease of the process working the request.
            try db.execute(sql: """
                ALTER TABLE requests ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE requests ADD COLUMN claim_owner TEXT;
                ALTER TABLE requests ADD COLUMN claim_expires REAL;
                CREATE INDEX codes_consumed ON verification_codes (consumed) WHERE consumed = 1;
                """)
        }
        migrator.registerMigration("v4-intake-quotas") { db in
            // Filings and codes per salted key, counted by the commit that does them.
            try db.execute(sql: """
                CREATE TABLE intake_events (key TEXT NOT NULL, action TEXT NOT NULL, at REAL NOT NULL);
                CREATE INDEX intake_events_by_key ON intake_events (key, action, at);
                """)
        }
        return migrator
    }
}
