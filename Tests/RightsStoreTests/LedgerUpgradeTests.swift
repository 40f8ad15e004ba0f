import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// A ledger written by the previous release, opened by this one: what was in flight carries on.
@Suite("Upgrading a SQLite ledger from before codes and confirmations moved into the request row")
struct LedgerUpgradeTests {
    let waiting = SubjectIdentity(kind: "email", value: "li.wei@example.cn")
    let confirmed = SubjectIdentity(kind: "email", value: "wang.fang@example.cn")

    @Test func aCodeSentBeforeTheUpgradeStillVerifiesAndConfirmedFilingsStillCount() async throws {
        let directory = try TemporaryDirectory()
        let before = try RightsTestHarness(modules: [ProbeRight.self], rights: "probe: {}", directory: directory)
        let pending = try await before.pipeline.submit(RequestIntake(right: "probe", subject: waiting))
        let code = try #require(try await before.latestCode(for: pending.id))
        let done = try await before.run(RequestIntake(right: "probe", subject: confirmed))
        #expect(done.state == .completed)

        // Put the file back in the previous release's shape: codes in a table of their own, no
        // record of confirmations on the request, and the migration not yet applied.
        let raw = try DatabaseQueue(path: directory.file("ledger.sqlite"))
        try await raw.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE verification_codes (
                        request_id TEXT PRIMARY KEY, salt BLOB NOT NULL, hash BLOB NOT NULL, expires_at REAL NOT NULL,
                        attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, consumed INTEGER NOT NULL);
                    INSERT INTO verification_codes
                        SELECT id, code_salt, code_hash, code_expires_at, code_attempts, code_max_attempts, code_consumed
                        FROM requests WHERE code_hash IS NOT NULL;
                    CREATE INDEX codes_consumed ON verification_codes (consumed) WHERE consumed = 1;
                    DROP INDEX requests_code_consumed;
                    DROP INDEX requests_confirmed_by_person;
                    ALTER TABLE requests DROP COLUMN code_salt;
                    ALTER TABLE requests DROP COLUMN code_hash;
                    ALTER TABLE requests DROP COLUMN code_expires_at;
                    ALTER TABLE requests DROP COLUMN code_attempts;
                    ALTER TABLE requests DROP COLUMN code_max_attempts;
                    ALTER TABLE requests DROP COLUMN code_consumed;
                    ALTER TABLE requests DROP COLUMN person_key;
                    ALTER TABLE requests DROP COLUMN confirmed_at;
                    DELETE FROM grdb_migrations WHERE identifier = 'v10-codes-and-confirmations-in-requests';
                    """)
        }
        #expect(try await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM verification_codes") } == 1)
        try raw.close()

        let after = try RightsTestHarness(modules: [ProbeRight.self], rights: "probe: {}", clock: before.clock, directory: directory)
        let verified = try await after.pipeline.verify(pending.id, code: code)
        #expect(verified.state == .completed, "the code sent before the upgrade verifies after it")
        let reopened = try DatabaseQueue(path: directory.file("ledger.sqlite"))
        let rows = try reopened.read { db in
            try Row.fetchAll(db, sql: "SELECT id, person_key, confirmed_at FROM requests ORDER BY received_at")
        }
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { ($0["person_key"] as String?) != nil }, "each request knows whose quota it counts against")
        #expect(rows.allSatisfy { ($0["confirmed_at"] as Double?) != nil }, "both filings count as confirmed by their person")
        #expect(try await reopened.read { db in try db.tableExists("verification_codes") } == false)
    }
}
