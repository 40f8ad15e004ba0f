import Foundation
import GRDB
public import RightsKernel
public import RightsStorage

/// The embedded default store: one SQLite file (WAL) holding the request ledger, the step
/// journal, the audit chain, holds, one-time codes and the notification outbox; the storage
/// core's ``LedgerStore`` over this driver's executor. The name stays for the call sites that
/// open a SQLite ledger by path.
public typealias SQLiteStore = LedgerStore

extension LedgerStore {
    /// Opens (creating if needed) the SQLite database at `path` in WAL mode and migrates it.
    /// Opening and migrating happen under an exclusive lock on `<path>.lock`, so any number of
    /// processes may start on an empty folder at once. The secret that salts subject keys lives
    /// in `secretPath` (default `keys/subject-key.secret` beside the ledger), never in the
    /// ledger it protects; a ledger that still holds one has it moved out.
    public convenience init(path: String, secretPath: String? = nil, clock: any WallClock = SystemClock()) throws {
        try PrivateFiles.createFolder(URL(fileURLWithPath: path).deletingLastPathComponent())
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Minimised identities, codes and message bodies are overwritten, not left in free pages.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            SQLiteFunctions.add(to: db)
        }
        let lock = try ExclusiveFileLock(path: path + ".lock")
        defer { lock.release() }
        try PrivateFiles.prepareDatabase(atPath: path)
        let database = try DatabasePool(path: path, configuration: configuration)
        try SQLiteLedgerSchema.migrator.migrate(database)
        let secretFile =
            secretPath ?? URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("keys/subject-key.secret").path
        self.init(
            executor: SQLiteExecutor(database: database), clock: clock,
            subjectSecret: try SQLiteLedgerSchema.loadOrCreateSecret(file: secretFile, movingOutOf: database))
        let store = self
        try InlineTaskExecutor.run { try await store.hashRecipientsOfEarlierMessages() }
    }

    /// An in-memory store, for validating a deployment without touching its files.
    public static func inMemory(clock: any WallClock = SystemClock()) throws -> LedgerStore {
        var configuration = Configuration()
        configuration.prepareDatabase { db in SQLiteFunctions.add(to: db) }
        let database = try DatabaseQueue(configuration: configuration)
        try SQLiteLedgerSchema.migrator.migrate(database)
        return LedgerStore(executor: SQLiteExecutor(database: database), clock: clock, subjectSecret: SQLiteLedgerSchema.randomSecret())
    }
}

/// The ledger's schema in SQLite, as GRDB migrations, and the subject-key secret beside it.
enum SQLiteLedgerSchema {
    /// Reads the subject-key secret from its own file (0600), creating it on first use; a secret
    /// an older ledger kept in its `meta` table is moved to the file and deleted from the ledger.
    static func loadOrCreateSecret(file: String, movingOutOf database: any DatabaseWriter) throws -> Data {
        let legacy = try database.read { db in try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'subject_secret'") }
        let secret: Data
        if let stored = FileManager.default.contents(atPath: file), stored.count == 32 {
            secret = stored
        } else {
            secret = legacy ?? randomSecret()
            try PrivateFiles.write(secret, to: file)
        }
        if legacy != nil {
            try database.write { db in try db.execute(sql: "DELETE FROM meta WHERE key = 'subject_secret'") }
        }
        return secret
    }

    static func randomSecret() -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
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
            try db.execute(
                sql: """
                    CREATE TABLE audit_checkpoints (
                        seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, signed_at TEXT NOT NULL, signature TEXT NOT NULL)
                    """)
        }
        migrator.registerMigration("v3-claims") { db in
            // A version per request makes every change conditional on the state it replaces;
            // the claim is the lease of the process working the request.
            try db.execute(
                sql: """
                    ALTER TABLE requests ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE requests ADD COLUMN claim_owner TEXT;
                    ALTER TABLE requests ADD COLUMN claim_expires REAL;
                    CREATE INDEX codes_consumed ON verification_codes (consumed) WHERE consumed = 1;
                    """)
        }
        migrator.registerMigration("v4-intake-quotas") { db in
            // Filings and codes per salted key, counted by the commit that does them.
            try db.execute(
                sql: """
                    CREATE TABLE intake_events (key TEXT NOT NULL, action TEXT NOT NULL, at REAL NOT NULL);
                    CREATE INDEX intake_events_by_key ON intake_events (key, action, at);
                    """)
        }
        migrator.registerMigration("v5-outbox-delivery") { db in
            // Delivered rows keep kind, time and a salted recipient hash only.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN delivered_at REAL;
                    ALTER TABLE outbox ADD COLUMN minimised INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL AND minimised = 0;
                    """)
        }
        migrator.registerMigration("v6-outbox-claims") { db in
            // A deliverer's claim on a message, so two never send it twice.
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN delivering_until REAL")
        }
        migrator.registerMigration("v7-operator-tokens") { db in
            // Operators' bearer tokens, kept as SHA-256 hashes; and the deadline notices sent,
            // one row per request and kind so each is sent once whoever runs the reminders.
            try db.execute(
                sql: """
                    CREATE TABLE operator_tokens (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, role TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, revoked_at REAL);
                    CREATE UNIQUE INDEX operator_tokens_active_name ON operator_tokens (name) WHERE revoked_at IS NULL;
                    CREATE TABLE deadline_notices (
                        request_id TEXT NOT NULL, kind TEXT NOT NULL, sent_at REAL NOT NULL, PRIMARY KEY (request_id, kind));
                    """)
        }
        migrator.registerMigration("v8-response-retention") { db in
            // When a request became final, and whether its response files are gone: the sweep
            // finds the files due for removal by index instead of reading every finished request.
            // Requests already final take the time of their last change from their body.
            let finalStates = RequestState.allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }.joined(separator: ", ")
            try db.execute(
                sql: """
                    ALTER TABLE requests ADD COLUMN final_at REAL;
                    ALTER TABLE requests ADD COLUMN responses_removed INTEGER NOT NULL DEFAULT 0;
                    UPDATE requests SET final_at = CAST(strftime('%s', json_extract(body, '$.updatedAt')) AS REAL) WHERE state IN (\(finalStates));
                    CREATE INDEX requests_responses_due ON requests (final_at) WHERE responses_removed = 0;
                    """)
        }
        migrator.registerMigration("v9-audit-head-trigger") { db in
            // The head follows the last entry appended, so the storage core chains a batch of
            // entries in one statement; a recipient's salted hash is kept from the start, so a
            // message is minimised in one statement too.
            try db.execute(
                sql: """
                    CREATE TRIGGER audit_head_follows_entries AFTER INSERT ON audit_entries BEGIN
                        INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, NEW.seq, NEW.hash);
                    END;
                    ALTER TABLE outbox ADD COLUMN recipient_hash TEXT;
                    """)
        }
        migrator.registerMigration("v10-codes-and-confirmations-in-requests") { db in
            // A request's outstanding code lives in its own row: filing writes it with the
            // request, the check reads it with the request, and the move into work clears it in
            // the same update. Codes outstanding at the upgrade move across unchanged.
            try db.execute(
                sql: """
                    ALTER TABLE requests ADD COLUMN code_salt BLOB;
                    ALTER TABLE requests ADD COLUMN code_hash BLOB;
                    ALTER TABLE requests ADD COLUMN code_expires_at REAL;
                    ALTER TABLE requests ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE requests ADD COLUMN code_max_attempts INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE requests ADD COLUMN code_consumed INTEGER NOT NULL DEFAULT 0;
                    UPDATE requests SET
                        code_salt = (SELECT salt FROM verification_codes WHERE request_id = requests.id),
                        code_hash = (SELECT hash FROM verification_codes WHERE request_id = requests.id),
                        code_expires_at = (SELECT expires_at FROM verification_codes WHERE request_id = requests.id),
                        code_attempts = (SELECT attempts FROM verification_codes WHERE request_id = requests.id),
                        code_max_attempts = (SELECT max_attempts FROM verification_codes WHERE request_id = requests.id),
                        code_consumed = (SELECT consumed FROM verification_codes WHERE request_id = requests.id)
                    WHERE id IN (SELECT request_id FROM verification_codes);
                    DROP INDEX codes_consumed;
                    DROP TABLE verification_codes;
                    CREATE INDEX requests_code_consumed ON requests (id) WHERE code_consumed = 1;
                    """)
            // Whose filing quota a request counts against (the person's key, shared by their
            // email, phone and user id) and when they confirmed it, kept with the request by
            // the update that confirms it. Requests already verified take their filing time.
            try db.execute(
                sql: """
                    ALTER TABLE requests ADD COLUMN person_key TEXT;
                    ALTER TABLE requests ADD COLUMN confirmed_at REAL;
                    UPDATE requests SET person_key = coalesce(json_extract(body, '$.personKey'), subject_key),
                        confirmed_at = CASE WHEN json_extract(body, '$.verification') IS NOT NULL THEN received_at END;
                    CREATE INDEX requests_confirmed_by_person ON requests (person_key, confirmed_at);
                    """)
        }
        return migrator
    }
}
