import RightsKernel

/// The ledger's schema in PostgreSQL, as numbered migrations: the same tables as the SQLite
/// store's (requests with their version and claim, the step journal, the audit chain and its
/// head and checkpoints, holds, the outbox with its delivery claim, intake events,
/// operator tokens, deadline notices), in PostgreSQL's types; requests carry the order they
/// were filed in (`seq`), which SQLite's rowid gives. Applied in order at start, each
/// once, under an advisory lock (``PostgresMigrator``).
enum PostgresLedgerSchema {
    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            version: 1, name: "ledger",
            statements: [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL)",
                """
                CREATE TABLE requests (
                    id TEXT PRIMARY KEY, "right" TEXT NOT NULL, subject_key TEXT NOT NULL, state TEXT NOT NULL,
                    received_at DOUBLE PRECISION NOT NULL, due_at DOUBLE PRECISION NOT NULL, body TEXT NOT NULL,
                    version BIGINT NOT NULL DEFAULT 0, claim_owner TEXT, claim_expires DOUBLE PRECISION,
                    seq BIGSERIAL NOT NULL UNIQUE, final_at DOUBLE PRECISION, responses_removed BOOLEAN NOT NULL DEFAULT FALSE)
                """,
                "CREATE INDEX requests_responses_due ON requests (final_at) WHERE NOT responses_removed",
                "CREATE INDEX requests_by_subject ON requests (subject_key, \"right\", received_at)",
                "CREATE INDEX requests_by_state ON requests (state, due_at)",
                """
                CREATE TABLE journal (
                    request_id TEXT NOT NULL REFERENCES requests(id), step TEXT NOT NULL, result BYTEA NOT NULL,
                    recorded_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (request_id, step))
                """,
                """
                CREATE TABLE audit_entries (
                    seq BIGINT PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, request_id TEXT,
                    details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                "CREATE INDEX audit_by_request ON audit_entries (request_id)",
                "CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)",
                // One row from the start: every append locks it, so the chain has one writer at a time.
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\(AuditEntry.genesisHash)')",
                "CREATE TABLE audit_checkpoints (seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, signed_at TEXT NOT NULL, signature TEXT NOT NULL)",
                """
                CREATE TABLE holds (
                    id BIGSERIAL PRIMARY KEY, subject_key TEXT, category TEXT, ground_code TEXT NOT NULL,
                    ground_explanation TEXT NOT NULL, authority TEXT NOT NULL, expires_at DOUBLE PRECISION, created_at DOUBLE PRECISION NOT NULL)
                """,
                "CREATE INDEX holds_by_subject ON holds (subject_key)",
                """
                CREATE TABLE verification_codes (
                    request_id TEXT PRIMARY KEY, salt BYTEA NOT NULL, hash BYTEA NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
                    attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, consumed BOOLEAN NOT NULL)
                """,
                """
                CREATE TABLE outbox (
                    id BIGSERIAL PRIMARY KEY, request_id TEXT, kind TEXT NOT NULL, recipient_kind TEXT NOT NULL,
                    recipient_value TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                    delivered_at DOUBLE PRECISION, minimised BOOLEAN NOT NULL DEFAULT FALSE, delivering_until DOUBLE PRECISION)
                """,
                "CREATE INDEX outbox_by_request ON outbox (request_id)",
                "CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL AND NOT minimised",
                "CREATE TABLE intake_events (key TEXT NOT NULL, action TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
                "CREATE INDEX intake_events_by_key ON intake_events (key, action, at)",
                """
                CREATE TABLE operator_tokens (
                    id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
                    created_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION)
                """,
                "CREATE UNIQUE INDEX operator_tokens_active_name ON operator_tokens (name) WHERE revoked_at IS NULL",
                """
                CREATE TABLE deadline_notices (
                    request_id TEXT NOT NULL, kind TEXT NOT NULL, sent_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (request_id, kind))
                """,
            ]),
        // Audit entries committed with their change and chained after, in batches, by whichever
        // instance links next: commits no longer queue on the chain's head row.
        PostgresMigration(
            version: 2, name: "audit-pending",
            statements: [
                """
                CREATE TABLE audit_pending (
                    id BIGSERIAL PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, request_id TEXT,
                    details TEXT NOT NULL, content TEXT NOT NULL)
                """
            ]),
        // The head follows the last entry appended, so the storage core chains a batch of
        // entries in one statement; a recipient's salted hash is kept from the start, so a
        // message is minimised in one statement too.
        PostgresMigration(
            version: 3, name: "audit-head-trigger",
            statements: [
                """
                CREATE FUNCTION rightskit_audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER audit_head_follows_entries AFTER INSERT ON audit_entries
                FOR EACH ROW EXECUTE FUNCTION rightskit_audit_head_follows()
                """,
                "ALTER TABLE outbox ADD COLUMN recipient_hash TEXT",
            ]),
        // A request's outstanding code lives in its own row: filing writes it with the request,
        // the check reads it with the request, and the move into work clears it in the same
        // update. Codes outstanding at the upgrade move across unchanged.
        PostgresMigration(
            version: 4, name: "codes-and-confirmations-in-requests",
            statements: [
                """
                ALTER TABLE requests ADD COLUMN code_salt BYTEA, ADD COLUMN code_hash BYTEA,
                    ADD COLUMN code_expires_at DOUBLE PRECISION, ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0,
                    ADD COLUMN code_max_attempts INTEGER NOT NULL DEFAULT 0, ADD COLUMN code_consumed BOOLEAN NOT NULL DEFAULT FALSE
                """,
                """
                UPDATE requests SET code_salt = c.salt, code_hash = c.hash, code_expires_at = c.expires_at, code_attempts = c.attempts,
                    code_max_attempts = c.max_attempts, code_consumed = c.consumed
                FROM verification_codes c WHERE c.request_id = requests.id
                """,
                "DROP TABLE verification_codes",
                "CREATE INDEX requests_code_consumed ON requests (id) WHERE code_consumed",
                // Whose filing quota a request counts against (the person's key, shared by their
                // email, phone and user id) and when they confirmed it, kept with the request by
                // the update that confirms it. Requests already verified take their filing time.
                "ALTER TABLE requests ADD COLUMN person_key TEXT, ADD COLUMN confirmed_at DOUBLE PRECISION",
                """
                UPDATE requests SET person_key = coalesce(body::json->>'personKey', subject_key),
                    confirmed_at = CASE WHEN body::json->>'verification' IS NOT NULL THEN received_at END
                """,
                "CREATE INDEX requests_confirmed_by_person ON requests (person_key, confirmed_at)",
            ]),
    ]
}
