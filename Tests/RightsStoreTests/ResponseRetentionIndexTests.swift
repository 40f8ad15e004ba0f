import Foundation
import GRDB
import RightsKernel
import RightsTesting
import Testing

@testable import RightsStore

/// The sweep finds finished requests' files by the time they became final, from an index; a
/// ledger written before that column existed gets the time from each request's body.
@Suite("Response files found by index")
struct ResponseRetentionIndexTests {
    @Test("a ledger from before the index learns when its finished requests became final")
    func olderLedgersAreBackfilled() async throws {
        let directory = try TemporaryDirectory(prefix: "retention-index")
        let path = directory.file("ledger.sqlite")
        let queue = try DatabaseQueue(path: path)
        try SQLiteLedgerSchema.migrator.migrate(queue, upTo: "v7-operator-tokens")
        let finishedAt = try #require(Timestamp.date("2026-01-10T08:00:00Z"))
        var done = RightRequest(
            right: "access", subject: SubjectIdentity(kind: "email", value: "a@example.cn"), subjectKey: SubjectKey(rawValue: "k1"),
            receivedAt: finishedAt.addingTimeInterval(-86_400), dueAt: finishedAt)
        done.state = .completed
        done.updatedAt = finishedAt
        var open = RightRequest(
            right: "access", subject: SubjectIdentity(kind: "email", value: "b@example.cn"), subjectKey: SubjectKey(rawValue: "k2"),
            receivedAt: finishedAt, dueAt: finishedAt)
        open.state = .inProgress
        let written = [done, open]
        try await queue.write { db in
            for request in written {
                try db.execute(
                    sql: "INSERT INTO requests (id, right, subject_key, state, received_at, due_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        request.id.rawValue, request.right, request.subjectKey.rawValue, request.state.rawValue,
                        request.receivedAt.timeIntervalSince1970, request.dueAt.timeIntervalSince1970, try CanonicalJSON.string(request),
                    ]
                )
            }
        }
        try queue.close()
        let store = try SQLiteStore(path: path)
        #expect(try await store.responsesToRemove(finalBefore: finishedAt, limit: 10).isEmpty, "not before it became final")
        let due = try await store.responsesToRemove(finalBefore: finishedAt.addingTimeInterval(1), limit: 10)
        #expect(due.map(\.id) == [done.id], "the finished one, by its body's time; the open one never")
        try await store.markResponsesRemoved(done.id)
        #expect(try await store.responsesToRemove(finalBefore: finishedAt.addingTimeInterval(86_400), limit: 10).isEmpty)
    }
}
