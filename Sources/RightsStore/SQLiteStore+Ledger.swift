import Crypto
import Foundation
import GRDB
import RightsKernel

extension SQLiteStore: RequestLedger {
    public func subjectKey(for identity: SubjectIdentity) -> SubjectKey {
        let message = Data("\(identity.kind):\(identity.normalisedValue)".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: subjectSecret))
        return SubjectKey(rawValue: mac.map { String(format: "%02x", $0) }.joined())
    }

    public func open(_ request: RightRequest, audit: AuditEvent) async throws {
        let body = try CanonicalJSON.string(request)
        let time = clock.now
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO requests (id, right, subject_key, state, received_at, due_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [request.id.rawValue, request.right, request.subjectKey.rawValue, request.state.rawValue,
                            request.receivedAt.timeIntervalSince1970, request.dueAt.timeIntervalSince1970, body]
            )
            try Self.appendAudit(audit, at: time, in: db)
        }
    }

    public func save(_ request: RightRequest, audit: AuditEvent) async throws {
        let body = try CanonicalJSON.string(request)
        let time = clock.now
        try await database.write { db in
            try db.execute(
                sql: "UPDATE requests SET state = ?, due_at = ?, body = ? WHERE id = ?",
                arguments: [request.state.rawValue, request.dueAt.timeIntervalSince1970, body, request.id.rawValue]
            )
            guard db.changesCount == 1 else { throw StoreError.missingRequest(request.id) }
            if request.state.isFinal {
                // Keep only what proves the response: the journal and any code go.
                try db.execute(sql: "DELETE FROM journal WHERE request_id = ?", arguments: [request.id.rawValue])
                try db.execute(sql: "DELETE FROM verification_codes WHERE request_id = ?", arguments: [request.id.rawValue])
                try db.execute(sql: "UPDATE outbox SET body = '[removed once the request was final]' WHERE request_id = ? AND kind = 'verification-code'", arguments: [request.id.rawValue])
            }
            try Self.appendAudit(audit, at: time, in: db)
        }
    }

    public func request(_ id: RequestID) async throws -> RightRequest? {
        let body = try await database.read { db in
            try String.fetchOne(db, sql: "SELECT body FROM requests WHERE id = ?", arguments: [id.rawValue])
        }
        return try body.map { try CanonicalJSON.decode(RightRequest.self, from: Data($0.utf8)) }
    }

    public func requests(_ query: RequestQuery) async throws -> [RightRequest] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if !query.states.isEmpty {
            clauses.append("state IN (\(query.states.map { _ in "?" }.joined(separator: ", ")))")
            for state in query.states.sorted(by: { $0.rawValue < $1.rawValue }) { _ = arguments.append(contentsOf: [state.rawValue]) }
        }
        if let right = query.right {
            clauses.append("right = ?")
            _ = arguments.append(contentsOf: [right])
        }
        if let subject = query.subject {
            clauses.append("subject_key = ?")
            _ = arguments.append(contentsOf: [subject.rawValue])
        }
        if let dueBefore = query.dueBefore {
            clauses.append("due_at < ?")
            _ = arguments.append(contentsOf: [dueBefore.timeIntervalSince1970])
        }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT body FROM requests \(filter) ORDER BY received_at, id"
        let bound = arguments
        let bodies = try await database.read { db in try String.fetchAll(db, sql: sql, arguments: bound) }
        return try bodies.map { try CanonicalJSON.decode(RightRequest.self, from: Data($0.utf8)) }
    }

    public func countRequests(subject: SubjectKey, right: String, receivedSince since: Date, excluding: RequestID) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM requests WHERE subject_key = ? AND right = ? AND received_at >= ? AND id != ?",
                arguments: [subject.rawValue, right, since.timeIntervalSince1970, excluding.rawValue]
            ) ?? 0
        }
    }

    public func journalledResult(of step: String, request: RequestID) async throws -> Data? {
        try await database.read { db in
            try Data.fetchOne(db, sql: "SELECT result FROM journal WHERE request_id = ? AND step = ?", arguments: [request.rawValue, step])
        }
    }

    public func journal(step: String, request: RequestID, result: Data) async throws {
        let time = clock.now.timeIntervalSince1970
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO journal (request_id, step, result, recorded_at) VALUES (?, ?, ?, ?)",
                arguments: [request.rawValue, step, result, time]
            )
        }
    }
}

/// A store operation that found the database in an unexpected state.
public enum StoreError: Error, CustomStringConvertible {
    case missingRequest(RequestID)
    /// A deployment loaded without its store being opened.
    case notOpened(String)

    public var description: String {
        switch self {
        case .missingRequest(let id): "request \(id) is not in the ledger"
        case .notOpened(let path): "the store of \(path) was not opened"
        }
    }
}
