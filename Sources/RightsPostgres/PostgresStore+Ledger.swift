public import Foundation
import PostgresNIO
public import RightsKernel
import RightsStore

extension PostgresStore: RequestLedger {
    /// Commits taking part in the hold check take this lock shared; placing a hold takes it
    /// exclusively, so a hold placed after the pipeline read the holds still stops the move into
    /// work (SQLite gets the same from its single writer).
    static let holdsLock: Int64 = 0x5269_6768_7473_486F

    public func subjectKey(for identity: SubjectIdentity) -> SubjectKey {
        SubjectKey(salting: identity, with: subjectSecret)
    }

    public func commit(_ change: LedgerChange) async throws -> RightRequest {
        let request = change.request
        let body = try CanonicalJSON.string(request)
        let now = clock.now.timeIntervalSince1970
        return try await transaction { connection in
            if let subject = change.requiresNoHoldOn {
                try await connection.query("SELECT pg_advisory_xact_lock_shared(\(Self.holdsLock))", logger: logger)
                let held = try await connection.query(
                    """
                    SELECT 1 FROM holds WHERE (subject_key = \(subject.rawValue) OR subject_key IS NULL)
                      AND (expires_at IS NULL OR expires_at > \(now)) AND category IS NULL LIMIT 1
                    """, logger: logger
                ).hasRows()
                if held { throw LedgerConflict(request: request.id, current: nil, claimed: false, holdAppeared: true) }
            }
            for quota in change.quotas.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { try await count(quota, at: now, on: connection) }
            let version: Int
            if change.replacesStored {
                // Conditional on the version it was made from, and on no other live claim.
                var keep = true
                var newOwner: String?
                var newExpiry: Double?
                switch change.claim {
                case .keep: break
                case .take(let owner, let expires): (keep, newOwner, newExpiry) = (false, owner.rawValue, expires.timeIntervalSince1970)
                case .release: keep = false
                }
                let applied = try await connection.query(
                    """
                    UPDATE requests SET state = \(request.state.rawValue), due_at = \(request.dueAt.timeIntervalSince1970), body = \(body),
                        version = version + 1,
                        claim_owner = CASE WHEN \(keep) THEN claim_owner ELSE \(newOwner)::text END,
                        claim_expires = CASE WHEN \(keep) THEN claim_expires ELSE \(newExpiry)::float8 END
                    WHERE id = \(request.id.rawValue) AND version = \(request.version)
                      AND (claim_owner IS NULL OR claim_expires <= \(now) OR claim_owner = \(change.owner.rawValue))
                    RETURNING 1
                    """, logger: logger
                ).hasRows()
                guard applied else { throw try await conflict(request.id, at: now, on: connection) }
                version = request.version + 1
            } else {
                var owner: String?
                var expires: Double?
                if case .take(let claimant, let until) = change.claim {
                    (owner, expires) = (claimant.rawValue, until.timeIntervalSince1970)
                }
                try await connection.query(
                    """
                    INSERT INTO requests (id, "right", subject_key, state, received_at, due_at, body, version, claim_owner, claim_expires)
                    VALUES (\(request.id.rawValue), \(request.right), \(request.subjectKey.rawValue), \(request.state.rawValue),
                            \(request.receivedAt.timeIntervalSince1970), \(request.dueAt.timeIntervalSince1970), \(body), 0, \(owner), \(expires))
                    """, logger: logger)
                version = 0
            }
            if let code = change.code { try await replaceCode(code, on: connection) }
            if request.state != .awaitingVerification, request.state != .received {
                // A passed challenge's code has done its work, and so have the messages carrying it.
                try await connection.query("DELETE FROM verification_codes WHERE request_id = \(request.id.rawValue)", logger: logger)
                try await minimiseMessages(of: request.id, onlyCodes: true, on: connection)
            }
            if request.state.isFinal {
                // Keep only what proves the response: the journal goes.
                try await connection.query("DELETE FROM journal WHERE request_id = \(request.id.rawValue)", logger: logger)
                try await connection.query(
                    """
                    UPDATE requests SET final_at = \(request.updatedAt.timeIntervalSince1970) WHERE id = \(request.id.rawValue) AND final_at IS NULL
                    """, logger: logger)
            }
            var messages: [OutboundMessage] = []
            var audit: [AuditEvent] = []
            for step in change.steps {
                if !request.state.isFinal {
                    try await connection.query(
                        """
                        INSERT INTO journal (request_id, step, result, recorded_at) VALUES (\(step.request.rawValue), \(step.step), \(step.result), \(now))
                        ON CONFLICT DO NOTHING
                        """, logger: logger)
                }
                messages += step.messages
                audit += step.audit
            }
            try await enqueue(messages + change.messages, at: now, on: connection)
            try await appendAudit(audit + change.audit, on: connection)
            return request.stored(at: version)
        }
    }

    /// Takes the claim in one statement over the row locked `FOR UPDATE SKIP LOCKED`: an
    /// instance never waits on a row another is claiming, and never both get it. A live claim is
    /// respected unless its owner is a process on this host that no longer exists.
    public func claim(_ id: RequestID, in states: Set<RequestState>, as owner: ClaimOwner, until expires: Date) async throws
        -> RightRequest?
    {
        let now = clock.now.timeIntervalSince1970
        let holder =
            try await run("SELECT claim_owner FROM requests WHERE id = \(id.rawValue) AND claim_expires > \(now)").decode(String?.self)
            .collect().first ?? nil
        if let holder, ClaimOwner(rawValue: holder).isGoneFromThisHost {
            try await run(
                "UPDATE requests SET claim_owner = NULL, claim_expires = NULL WHERE id = \(id.rawValue) AND claim_owner = \(holder)")
        }
        let stateList = states.map(\.rawValue).sorted()
        let rows = try await run(
            """
            UPDATE requests SET claim_owner = \(owner.rawValue), claim_expires = \(expires.timeIntervalSince1970), version = version + 1
            WHERE id = (SELECT id FROM requests WHERE id = \(id.rawValue) AND state = ANY(\(stateList))
                          AND (claim_owner IS NULL OR claim_expires <= \(now) OR claim_owner = \(owner.rawValue))
                        FOR UPDATE SKIP LOCKED)
            RETURNING body, version
            """
        ).decode((String, Int).self).collect()
        return try rows.first.map { try Self.request(body: $0.0, version: $0.1) }
    }

    public func renewClaim(_ id: RequestID, as owner: ClaimOwner, until expires: Date) async throws -> Bool {
        try await run(
            """
            UPDATE requests SET claim_expires = \(expires.timeIntervalSince1970) WHERE id = \(id.rawValue) AND claim_owner = \(owner.rawValue) RETURNING 1
            """
        ).hasRows()
    }

    public func request(_ id: RequestID) async throws -> RightRequest? {
        let rows = try await run("SELECT body, version FROM requests WHERE id = \(id.rawValue)").decode((String, Int).self).collect()
        return try rows.first.map { try Self.request(body: $0.0, version: $0.1) }
    }

    public func requests(_ query: RequestQuery) async throws -> [RightRequest] {
        let states = query.states.map(\.rawValue).sorted()
        let rows = try await run(
            """
            SELECT body, version FROM requests
            WHERE (cardinality(\(states)::text[]) = 0 OR state = ANY(\(states)))
              AND (\(query.right)::text IS NULL OR "right" = \(query.right))
              AND (\(query.subject?.rawValue)::text IS NULL OR subject_key = \(query.subject?.rawValue))
              AND (\(query.dueBefore?.timeIntervalSince1970)::float8 IS NULL OR due_at < \(query.dueBefore?.timeIntervalSince1970))
            ORDER BY received_at, id
            """
        ).decode((String, Int).self).collect()
        return try rows.map { try Self.request(body: $0.0, version: $0.1) }
    }

    /// Counts the requests received in the window before this one, in the order they were filed;
    /// only requests whose subject was verified count.
    public func countRequests(subject: SubjectKey, right: String, receivedSince since: Date, excluding: RequestID, answeredOnly: Bool)
        async throws -> Int
    {
        try await run(
            """
            SELECT COUNT(*) FROM requests r
            WHERE r.subject_key = \(subject.rawValue) AND r."right" = \(right) AND r.received_at >= \(since.timeIntervalSince1970)
              AND r.id <> \(excluding.rawValue)
              AND r.seq < coalesce((SELECT seq FROM requests WHERE id = \(excluding.rawValue)), 9223372036854775807)
              AND coalesce(jsonb_typeof(r.body::jsonb -> 'verification'), 'null') <> 'null'
              AND (NOT \(answeredOnly) OR r.state NOT IN ('denied', 'cancelled'))
            """
        ).decode(Int.self).collect().first ?? 0
    }

    public func journalledResult(of step: String, request: RequestID) async throws -> Data? {
        try await run("SELECT result FROM journal WHERE request_id = \(request.rawValue) AND step = \(step)").decode(Data.self).collect()
            .first
    }

    public func record(_ step: StepRecord) async throws {
        let now = clock.now.timeIntervalSince1970
        try await transaction { connection in
            if let owner = step.owner {
                let held = try await connection.query(
                    """
                    UPDATE requests SET claim_expires = \(step.renewUntil?.timeIntervalSince1970 ?? now)
                    WHERE id = \(step.request.rawValue) AND claim_owner = \(owner.rawValue) RETURNING 1
                    """, logger: logger
                ).hasRows()
                guard held else { throw LedgerConflict(request: step.request, current: nil, claimed: true) }
            }
            let recorded = try await connection.query(
                """
                INSERT INTO journal (request_id, step, result, recorded_at) VALUES (\(step.request.rawValue), \(step.step), \(step.result), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).hasRows()
            guard recorded else { throw LedgerConflict(request: step.request, current: nil, claimed: true) }
            try await enqueue(step.messages, at: now, on: connection)
            try await appendAudit(step.audit, on: connection)
        }
    }

    public func responsesToRemove(finalBefore cutoff: Date, limit: Int) async throws -> [RightRequest] {
        let rows = try await run(
            """
            SELECT body, version FROM requests WHERE NOT responses_removed AND final_at < \(cutoff.timeIntervalSince1970) ORDER BY final_at LIMIT \(limit)
            """
        ).decode((String, Int).self).collect()
        return try rows.map { try Self.request(body: $0.0, version: $0.1) }
    }

    public func markResponsesRemoved(_ id: RequestID) async throws {
        try await run("UPDATE requests SET responses_removed = TRUE WHERE id = \(id.rawValue)")
    }

    static func request(body: String, version: Int) throws -> RightRequest {
        try CanonicalJSON.decode(RightRequest.self, from: Data(body.utf8)).stored(at: version)
    }

    /// Why a conditional change did not apply: the request moved on, or a live claim holds it.
    private func conflict(_ id: RequestID, at now: Double, on connection: PostgresConnection) async throws -> LedgerConflict {
        let rows = try await connection.query(
            "SELECT state, claim_owner, claim_expires FROM requests WHERE id = \(id.rawValue)", logger: logger
        )
        .decode((String, String?, Double?).self).collect()
        guard let (state, owner, expires) = rows.first else { return LedgerConflict(request: id, current: nil, claimed: false) }
        return LedgerConflict(request: id, current: RequestState(rawValue: state), claimed: owner != nil && (expires ?? 0) > now)
    }

    /// Checks one quota and counts the action inside the commit's transaction, under a lock on
    /// the quota's key, so concurrent filings on any instance cannot both take the last place.
    func count(_ quota: IntakeQuota, at now: Double, on connection: PostgresConnection) async throws {
        let key = quota.key.rawValue
        let action = quota.action.rawValue
        let windowStart = now - quota.window
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 7))", logger: logger)
        try await connection.query(
            "DELETE FROM intake_events WHERE key = \(key) AND action = \(action) AND at <= \(windowStart)", logger: logger)
        if quota.cooldown > 0,
            let last = try await connection.query("SELECT MAX(at) FROM intake_events WHERE key = \(key)", logger: logger).decode(
                Double?.self
            ).collect().first ?? nil,
            last + quota.cooldown > now
        {
            throw IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: last + quota.cooldown))
        }
        let rows = try await connection.query(
            """
            SELECT COUNT(*), MIN(at) FROM intake_events WHERE key = \(key) AND action = \(action) AND at > \(windowStart)
            """, logger: logger
        ).decode((Int, Double?).self).collect()
        let used = rows.first?.0 ?? 0
        if used >= quota.limit {
            let oldest = (rows.first?.1 ?? nil) ?? now
            throw IntakeQuotaExceeded(action: quota.action, retryAfter: Date(timeIntervalSince1970: oldest + quota.window))
        }
        try await connection.query("INSERT INTO intake_events (key, action, at) VALUES (\(key), \(action), \(now))", logger: logger)
    }
}
