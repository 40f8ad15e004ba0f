import Crypto
public import Foundation
import GRDB
public import RightsKernel

extension SQLiteStore: RequestLedger {
    public func subjectKey(for identity: SubjectIdentity) -> SubjectKey {
        SubjectKey(salting: identity, with: subjectSecret)
    }

    public func commit(_ change: LedgerChange) async throws -> RightRequest {
        let request = change.request
        let body = try CanonicalJSON.string(request)
        let time = clock.now
        return try await database.write { db in
            if let subject = change.requiresNoHoldOn {
                // Inside the write transaction no hold can be added until this commits.
                let held =
                    try Bool.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT EXISTS (SELECT 1 FROM holds WHERE \(Self.holdsInForce) AND category IS NULL)
                                """),
                        arguments: [subject.rawValue, time.timeIntervalSince1970]
                    ) ?? false
                if held { throw LedgerConflict(request: request.id, current: nil, claimed: false, holdAppeared: true) }
            }
            for quota in change.quotas { try Self.count(quota, at: time, in: db) }
            let version: Int
            if change.replacesStored {
                // Conditional on the version it was made from, and on no other live claim.
                var claimSQL = "claim_owner = claim_owner, claim_expires = claim_expires"
                var claimArguments: StatementArguments = []
                switch change.claim {
                case .keep: break
                case .take(let owner, let expires):
                    claimSQL = "claim_owner = ?, claim_expires = ?"
                    claimArguments = [owner.rawValue, expires.timeIntervalSince1970]
                case .release:
                    claimSQL = "claim_owner = NULL, claim_expires = NULL"
                }
                let owner = change.owner.rawValue
                try db.cachedStatement(
                    sql: """
                        UPDATE requests SET state = ?, due_at = ?, body = ?, version = version + 1, \(claimSQL)
                        WHERE id = ? AND version = ? AND (claim_owner IS NULL OR claim_expires <= ? OR claim_owner = ?)
                        """
                ).execute(
                    arguments: [request.state.rawValue, request.dueAt.timeIntervalSince1970, body] + claimArguments
                        + [request.id.rawValue, request.version, time.timeIntervalSince1970, owner]
                )
                guard db.changesCount == 1 else { throw try Self.conflict(request.id, at: time, in: db) }
                version = request.version + 1
            } else {
                var owner: String?
                var expires: Double?
                if case .take(let claimant, let until) = change.claim {
                    (owner, expires) = (claimant.rawValue, until.timeIntervalSince1970)
                }
                try db.cachedStatement(
                    sql: """
                        INSERT INTO requests (id, right, subject_key, state, received_at, due_at, body, version, claim_owner, claim_expires)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
                        """
                ).execute(
                    arguments: [
                        request.id.rawValue, request.right, request.subjectKey.rawValue, request.state.rawValue,
                        request.receivedAt.timeIntervalSince1970, request.dueAt.timeIntervalSince1970, body, owner, expires,
                    ]
                )
                version = 0
            }
            if let code = change.code { try Self.replaceCode(code, in: db) }
            if request.state != .awaitingVerification, request.state != .received {
                // A passed challenge's code has done its work, and so have the messages carrying it.
                try db.cachedStatement(sql: "DELETE FROM verification_codes WHERE request_id = ?").execute(arguments: [request.id.rawValue])
                try self.minimiseMessages(of: request.id, onlyCodes: true, in: db)
            }
            if request.state.isFinal {
                // Keep only what proves the response: the journal goes.
                try db.cachedStatement(sql: "DELETE FROM journal WHERE request_id = ?").execute(arguments: [request.id.rawValue])
                try db.cachedStatement(sql: "UPDATE requests SET final_at = ? WHERE id = ? AND final_at IS NULL")
                    .execute(arguments: [request.updatedAt.timeIntervalSince1970, request.id.rawValue])
            }
            for step in change.steps {
                if !request.state.isFinal {
                    try db.cachedStatement(
                        sql: "INSERT INTO journal (request_id, step, result, recorded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
                    )
                    .execute(arguments: [step.request.rawValue, step.step, step.result, time.timeIntervalSince1970])
                }
                for message in step.messages { try Self.enqueue(message, at: time, in: db) }
                for event in step.audit { try self.appendAudit(event, at: time, in: db) }
            }
            for message in change.messages { try Self.enqueue(message, at: time, in: db) }
            for event in change.audit { try self.appendAudit(event, at: time, in: db) }
            return request.stored(at: version)
        }
    }

    /// A live claim is respected unless its owner is a process on this host that no longer
    /// exists (killed): its work can be taken over at once rather than after the lease.
    public func claim(_ id: RequestID, in states: Set<RequestState>, as owner: ClaimOwner, until expires: Date) async throws
        -> RightRequest?
    {
        let time = clock.now.timeIntervalSince1970
        let stateList = states.map(\.rawValue).sorted()
        return try await database.write { db in
            if let holder = try String.fetchOne(
                db.cachedStatement(sql: "SELECT claim_owner FROM requests WHERE id = ? AND claim_expires > ?"),
                arguments: [id.rawValue, time]),
                ClaimOwner(rawValue: holder).isGoneFromThisHost
            {
                try db.cachedStatement(sql: "UPDATE requests SET claim_owner = NULL, claim_expires = NULL WHERE id = ? AND claim_owner = ?")
                    .execute(arguments: [id.rawValue, holder])
            }
            let placeholders = stateList.map { _ in "?" }.joined(separator: ", ")
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE requests SET claim_owner = ?, claim_expires = ?, version = version + 1
                        WHERE id = ? AND state IN (\(placeholders)) AND (claim_owner IS NULL OR claim_expires <= ? OR claim_owner = ?)
                        RETURNING body, version
                        """),
                arguments: StatementArguments(
                    [owner.rawValue, expires.timeIntervalSince1970, id.rawValue] + stateList + [time, owner.rawValue]
                        as [any DatabaseValueConvertible])
            )
            return try row.map { try Self.request(body: $0["body"], version: $0["version"]) }
        }
    }

    public func renewClaim(_ id: RequestID, as owner: ClaimOwner, until expires: Date) async throws -> Bool {
        try await database.write { db in
            try db.cachedStatement(sql: "UPDATE requests SET claim_expires = ? WHERE id = ? AND claim_owner = ?")
                .execute(arguments: [expires.timeIntervalSince1970, id.rawValue, owner.rawValue])
            return db.changesCount == 1
        }
    }

    public func request(_ id: RequestID) async throws -> RightRequest? {
        let stored = try await database.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT body, version FROM requests WHERE id = ?"), arguments: [id.rawValue]).map {
                row -> (String, Int) in (row["body"], row["version"])
            }
        }
        return try stored.map { try Self.request(body: $0.0, version: $0.1) }
    }

    public func responsesToRemove(finalBefore cutoff: Date, limit: Int) async throws -> [RightRequest] {
        let rows = try await database.read { db -> [(String, Int)] in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT body, version FROM requests WHERE responses_removed = 0 AND final_at < ? ORDER BY final_at LIMIT ?"),
                arguments: [cutoff.timeIntervalSince1970, limit]
            ).map { ($0["body"], $0["version"]) }
        }
        return try rows.map { try Self.request(body: $0.0, version: $0.1) }
    }

    public func markResponsesRemoved(_ id: RequestID) async throws {
        try await database.write { db in
            try db.cachedStatement(sql: "UPDATE requests SET responses_removed = 1 WHERE id = ?").execute(arguments: [id.rawValue])
        }
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
        let sql = "SELECT body, version FROM requests \(filter) ORDER BY received_at, id"
        let bound = arguments
        let rows = try await database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map { row -> (String, Int) in (row["body"], row["version"]) }
        }
        return try rows.map { try Self.request(body: $0.0, version: $0.1) }
    }

    /// Counts the requests received in the window before this one (in the order they were
    /// recorded), so the decision is the same whenever it is evaluated again. Only requests whose
    /// subject was verified count: unverified filings by someone else use up nothing.
    public func countRequests(subject: SubjectKey, right: String, receivedSince since: Date, excluding: RequestID, answeredOnly: Bool)
        async throws -> Int
    {
        try await database.read { db in
            try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COUNT(*) FROM requests r
                        WHERE r.subject_key = ? AND r.right = ? AND r.received_at >= ? AND r.id != ?
                          AND r.rowid < coalesce((SELECT rowid FROM requests WHERE id = ?), 9223372036854775807)
                          AND json_extract(r.body, '$.verification') IS NOT NULL
                          AND (? = 0 OR r.state NOT IN ('denied', 'cancelled'))
                        """),
                arguments: [subject.rawValue, right, since.timeIntervalSince1970, excluding.rawValue, excluding.rawValue, answeredOnly]
            ) ?? 0
        }
    }

    public func journalledResult(of step: String, request: RequestID) async throws -> Data? {
        try await database.read { db in
            try Data.fetchOne(
                db.cachedStatement(sql: "SELECT result FROM journal WHERE request_id = ? AND step = ?"),
                arguments: [request.rawValue, step])
        }
    }

    public func record(_ step: StepRecord) async throws {
        let time = clock.now
        try await database.write { db in
            if let owner = step.owner {
                try db.cachedStatement(sql: "UPDATE requests SET claim_expires = ? WHERE id = ? AND claim_owner = ?").execute(
                    arguments: [(step.renewUntil ?? time).timeIntervalSince1970, step.request.rawValue, owner.rawValue]
                )
                guard db.changesCount == 1 else { throw LedgerConflict(request: step.request, current: nil, claimed: true) }
            }
            try db.cachedStatement(
                sql: "INSERT INTO journal (request_id, step, result, recorded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
            ).execute(
                arguments: [step.request.rawValue, step.step, step.result, time.timeIntervalSince1970]
            )
            guard db.changesCount == 1 else { throw LedgerConflict(request: step.request, current: nil, claimed: true) }
            for message in step.messages { try Self.enqueue(message, at: time, in: db) }
            for event in step.audit { try self.appendAudit(event, at: time, in: db) }
        }
    }

    static func request(body: String, version: Int) throws -> RightRequest {
        try CanonicalJSON.decode(RightRequest.self, from: Data(body.utf8)).stored(at: version)
    }

    /// Why a conditional change did not apply: the request moved on, or a live claim holds it.
    private static func conflict(_ id: RequestID, at time: Date, in db: Database) throws -> LedgerConflict {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT state, claim_owner, claim_expires FROM requests WHERE id = ?"), arguments: [id.rawValue])
        guard let row else { return LedgerConflict(request: id, current: nil, claimed: false) }
        let expires: Double? = row["claim_expires"]
        let claimed = (row["claim_owner"] as String?) != nil && (expires ?? 0) > time.timeIntervalSince1970
        return LedgerConflict(request: id, current: RequestState(rawValue: row["state"]), claimed: claimed)
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

extension SubjectKey {
    /// The HMAC-SHA256 of the normalised identity under the deployment's subject secret: every
    /// store of one deployment derives the same key, so a ledger moves between stores intact.
    package init(salting identity: SubjectIdentity, with secret: Data) {
        let message = Data("\(identity.kind):\(identity.normalisedValue)".utf8)
        self.init(rawValue: HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)).hexString)
    }
}
