import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("The SQLite ledger")
struct LedgerTests {
    let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")

    @Test func aStateChangeAndItsAuditEntryCommitTogether() async throws {
        let harness = try RightsTestHarness(modules: [ProbeRight.self], rights: "probe: {}")
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let before = try await harness.store.verify()
        // Make every audit insert fail from now on: the state change must not land either.
        let raw = try DatabaseQueue(path: harness.directory.file("ledger.sqlite"))
        try await raw.write { db in
            try db.execute(
                sql: "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END")
        }
        await #expect(throws: (any Error).self) { try await harness.pipeline.cancel(request.id, actor: "subject") }
        #expect(try await harness.store.request(request.id)?.state == .awaitingVerification)
        try await raw.write { db in try db.execute(sql: "DROP TRIGGER refuse_audit") }
        #expect(try await harness.store.verify() == before)
    }

    @Test func theDatabaseRunsInWALMode() async throws {
        let harness = try RightsTestHarness(modules: [ProbeRight.self], rights: "probe: {}")
        let raw = try DatabaseQueue(path: harness.directory.file("ledger.sqlite"))
        let mode = try await raw.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func subjectKeysAreStableAcrossReopeningAndNormalised() throws {
        let directory = try TemporaryDirectory()
        let first = try SQLiteStore(path: directory.file("ledger.sqlite"))
        let key = first.subjectKey(for: subject)
        let second = try SQLiteStore(path: directory.file("ledger.sqlite"))
        #expect(second.subjectKey(for: subject) == key)
        #expect(
            second.subjectKey(for: SubjectIdentity(kind: "email", value: " LI.WEI@example.cn ".trimmingCharacters(in: .whitespaces))) == key
        )
        #expect(second.subjectKey(for: SubjectIdentity(kind: "phone", value: "li.wei@example.cn")) != key)
        #expect(!key.rawValue.contains("li.wei"))
        // Another deployment salts differently, so keys cannot be matched across ledgers.
        let other = try SQLiteStore(path: try TemporaryDirectory().file("other.sqlite"))
        #expect(other.subjectKey(for: subject) != key)
    }

    @Test(arguments: LedgerDriver.allCases) func requestsFilterByStateRightAndDueDate(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: {}")
        let waiting = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        harness.clock.advance(days: 2)
        let done = try await harness.run(RequestIntake(right: "probe", subject: SubjectIdentity(kind: "phone", value: "+86 138 0013 8000")))
        let ledger = harness.store
        #expect(try await ledger.requests(RequestQuery(states: [.awaitingVerification])).map(\.id) == [waiting.id])
        #expect(try await ledger.requests(RequestQuery(states: [.completed])).map(\.id) == [done.id])
        #expect(try await ledger.requests(RequestQuery(dueBefore: waiting.dueAt.addingTimeInterval(1))).map(\.id) == [waiting.id])
        #expect(try await ledger.requests(RequestQuery(right: "other")).isEmpty)
        #expect(try await ledger.requests(RequestQuery()).count == 2)
    }
}
