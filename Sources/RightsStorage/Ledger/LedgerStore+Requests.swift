public import Foundation
public import RightsKernel

extension LedgerStore: RequestLedger {
    public func subjectKey(for identity: SubjectIdentity) -> SubjectKey {
        SubjectKey(salting: identity, with: subjectSecret)
    }

    /// Commits a state change over the version it was made from, in one transaction with its
    /// quotas, code, journal rows, messages and audit entries.
    public func commit(_ change: LedgerChange) async throws -> RightRequest {
        let body = try CanonicalJSON.string(change.request)
        let time = clock.now
        let now = time.sqlSeconds
        let quotas = change.quotas.sorted { $0.key.rawValue < $1.key.rawValue }
        let stored: RightRequest
        do {
            stored = try await commitTransaction(change, body: body, quotas: quotas, at: time)
        } catch is QuotaRefused {
            throw try await refusal(quotas, at: now)
        }
        auditAppended()
        return stored
    }

    /// The commit's one transaction: locks, then every write at once.
    private func commitTransaction(_ change: LedgerChange, body: String, quotas: [IntakeQuota], at time: Date) async throws -> RightRequest
    {
        let request = change.request
        let now = time.sqlSeconds
        return try await transaction { connection -> RightRequest in
            // Locks first, in one statement and a fixed order: the holds (placing one takes this
            // lock exclusively, so a hold being placed is waited for and seen), then each quota's key.
            let holds: [(key: TransactionLockKey, shared: Bool)] = change.requiresNoHoldOn == nil ? [] : [(Self.holdsLockKey, true)]
            let keys = Set(quotas.map(\.key.rawValue)).sorted().map { (key: TransactionLockKey.text($0), shared: false) }
            if let lock = self.dialect.lockStatement(holds + keys) { try await connection.query(lock) }
            // Then every write at once: the quotas' counts, the request's change with its code
            // (conditional on its version, its claim and, on the move into work, no hold on the
            // whole subject), the clean-up, the journal, the messages and the audit entries. The
            // quotas count before the request's row is written: a database that runs the writes
            // one after another (SQLite) would otherwise count a filing confirmed in this very
            // change against itself.
            let counting = self.countStatement(quotas, at: now)
            var writes = counting.map { [$0] } ?? []
            let requestWrite = writes.count
            writes.append(self.requestStatement(change, body: body, at: now))
            if Self.leavesVerification(change) {
                // A passed (or abandoned) challenge's code has done its work, and so have the
                // messages carrying it; the code itself goes with the request's own update.
                writes.append(Self.minimiseStatement(of: request.id, onlyCodes: true))
            }
            if request.state.isFinal, change.mayHaveJournal {
                // Keep only what proves the response: the journal goes.
                writes.append("DELETE FROM journal WHERE request_id = \(request.id.rawValue)")
            }
            let journal: [SQLStatement] =
                request.state.isFinal ? [] : change.steps.map { "(\($0.request.rawValue), \($0.step), \($0.result), \(now))" }
            if !journal.isEmpty {
                writes.append(
                    "INSERT INTO journal (request_id, step, result, recorded_at) VALUES \(SQLStatement.joined(journal, separator: ", ")) ON CONFLICT DO NOTHING"
                )
            }
            if let outbox = self.enqueueStatement(change.steps.flatMap(\.messages) + change.messages, at: now) { writes.append(outbox) }
            writes += try self.auditStatements(change.steps.flatMap(\.audit) + change.audit, at: time)

            let counts = try await connection.apply(writes)
            if counting != nil, counts[0] < quotas.count { throw QuotaRefused() }
            guard counts[requestWrite] == 1 else {
                guard change.replacesStored else {
                    throw LedgerConflict(request: request.id, current: nil, claimed: false, holdAppeared: true)
                }
                throw try await Self.conflict(
                    request, owner: change.owner, at: now, holdChecked: change.requiresNoHoldOn != nil, on: connection)
            }
            return request.stored(at: change.replacesStored ? request.version + 1 : 0)
        }
    }

    /// A quota had no room: the commit rolls back, and which one refused is read afterwards.
    private struct QuotaRefused: Error {}

    /// The insert of a new request, or the update of a stored one conditional on the version it
    /// was made from and on no other live claim; either only while no hold covers the whole
    /// subject when the change moves it into work. Returns a row when it applied.
    private func requestStatement(_ change: LedgerChange, body: String, at now: Double) -> SQLStatement {
        let request = change.request
        // The code goes in with the request or its replacement, and out (its work done) when the
        // request leaves verification.
        var code: SQLStatement = ""
        if let stored = change.code {
            code = ", " + Self.codeAssignments(stored)
        } else if Self.leavesVerification(change) {
            code = ", " + Self.clearedCode
        }
        let finalAt: Double? = request.state.isFinal ? request.updatedAt.sqlSeconds : nil
        var holdFree: SQLStatement = ""
        if let subject = change.requiresNoHoldOn {
            holdFree = """
                 AND NOT EXISTS (SELECT 1 FROM holds WHERE (subject_key = \(subject.rawValue) OR subject_key IS NULL)
                  AND (expires_at IS NULL OR expires_at > \(now)) AND category IS NULL)
                """
        }
        guard change.replacesStored else {
            var owner: String?
            var expires: Double?
            if case .take(let claimant, let until) = change.claim { (owner, expires) = (claimant.rawValue, until.sqlSeconds) }
            let stored = change.code
            return """
                INSERT INTO requests (id, "right", subject_key, state, received_at, due_at, body, version, claim_owner, claim_expires, final_at,
                                      person_key, confirmed_at, \(raw: Self.codeColumns))
                SELECT \(request.id.rawValue), \(request.right), \(request.subjectKey.rawValue), \(request.state.rawValue),
                       \(request.receivedAt.sqlSeconds), \(request.dueAt.sqlSeconds), \(body), 0, \(owner), \(expires), \(finalAt),
                       \(request.quotaKey.rawValue), \(change.confirmsPerson ? now : nil),
                       \(stored.map { Data($0.salt) }), \(stored.map { Data($0.hash) }), \(stored?.expiresAt.sqlSeconds), \(stored?.attempts ?? 0),
                       \(stored?.maxAttempts ?? 0), \(false)
                WHERE 1 = 1\(holdFree)
                RETURNING 1 AS applied
                """
        }
        let confirmed: SQLStatement = change.confirmsPerson ? ", confirmed_at = coalesce(confirmed_at, \(now))" : ""
        let claim: SQLStatement =
            switch change.claim {
            case .keep: ""
            case .take(let owner, let expires): ", claim_owner = \(owner.rawValue), claim_expires = \(expires.sqlSeconds)"
            case .release: ", claim_owner = NULL, claim_expires = NULL"
            }
        return """
            UPDATE requests SET state = \(request.state.rawValue), due_at = \(request.dueAt.sqlSeconds), body = \(body),
                version = version + 1, final_at = coalesce(final_at, \(finalAt))\(claim)\(code)\(confirmed)
            WHERE id = \(request.id.rawValue) AND version = \(request.version)
              AND (claim_owner IS NULL OR claim_expires <= \(now) OR claim_owner = \(change.owner.rawValue))\(holdFree)
            RETURNING 1 AS applied
            """
    }

    /// Whether `change` moves its request out of verification (into work, or closed): its code,
    /// if any, has done its work.
    private static func leavesVerification(_ change: LedgerChange) -> Bool {
        let before = change.replacedState.map { [.received, .awaitingVerification].contains($0) } ?? true
        return before && change.request.state != .awaitingVerification && change.request.state != .received
    }

    /// Takes the claim in one statement over the row, skipping it while another writer claims
    /// it: never both get it. A live claim is respected unless its owner is a process on this
    /// host that no longer exists (killed): its work is then taken over at once.
    public func claim(_ id: RequestID, in states: Set<RequestState>, as owner: ClaimOwner, until expires: Date) async throws
        -> RightRequest?
    {
        let now = clock.now.sqlSeconds
        if let holder = try await run("SELECT claim_owner FROM requests WHERE id = \(id.rawValue) AND claim_expires > \(now)")
            .first?.decode("claim_owner", as: String?.self),
            ClaimOwner(rawValue: holder).isGoneFromThisHost
        {
            try await run(
                "UPDATE requests SET claim_owner = NULL, claim_expires = NULL WHERE id = \(id.rawValue) AND claim_owner = \(holder)")
        }
        let rows = try await run(
            """
            UPDATE requests SET claim_owner = \(owner.rawValue), claim_expires = \(expires.sqlSeconds), version = version + 1
            WHERE id = (SELECT id FROM requests WHERE id = \(id.rawValue) AND state IN (\(list: states.map(\.rawValue).sorted()))
                          AND (claim_owner IS NULL OR claim_expires <= \(now) OR claim_owner = \(owner.rawValue))\(raw: dialect.lockSkippingLocked))
            RETURNING body, version
            """)
        return try rows.first.map(Self.request)
    }

    public func renewClaim(_ id: RequestID, as owner: ClaimOwner, until expires: Date) async throws -> Bool {
        try await !run(
            """
            UPDATE requests SET claim_expires = \(expires.sqlSeconds) WHERE id = \(id.rawValue) AND claim_owner = \(owner.rawValue) RETURNING 1 AS renewed
            """
        ).isEmpty
    }

    public func request(_ id: RequestID) async throws -> RightRequest? {
        try await run("SELECT body, version FROM requests WHERE id = \(id.rawValue)").first.map(Self.request)
    }

    /// One statement: the request's row with its code, then the active holds on its subject.
    public func requestUnderVerification(_ id: RequestID, at time: Date) async throws -> RequestUnderVerification? {
        let rows = try await run(
            """
            SELECT 0 AS part, body, version, \(raw: Self.codeColumns), NULL AS id, NULL AS subject_key, NULL AS category,
                   NULL AS ground_code, NULL AS ground_explanation, NULL AS authority, NULL AS expires_at, NULL AS created_at
            FROM requests WHERE id = \(id.rawValue)
            UNION ALL
            SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \(raw: Self.holdColumns)
            FROM holds
            WHERE (subject_key = (SELECT subject_key FROM requests WHERE id = \(id.rawValue)) OR subject_key IS NULL)
              AND (expires_at IS NULL OR expires_at > \(time.sqlSeconds))
            ORDER BY part, id
            """)
        guard let first = rows.first, try first.decode("part", as: Int.self) == 0 else { return nil }
        return RequestUnderVerification(
            request: try Self.request(first), code: try Self.storedCode(first, request: id), holds: try rows.dropFirst().map(Self.hold))
    }

    public func requests(_ query: RequestQuery) async throws -> [RightRequest] {
        var clauses: [SQLStatement] = []
        if !query.states.isEmpty { clauses.append("state IN (\(list: query.states.map(\.rawValue).sorted()))") }
        if let right = query.right { clauses.append("\"right\" = \(right)") }
        if let subject = query.subject { clauses.append("subject_key = \(subject.rawValue)") }
        if let dueBefore = query.dueBefore { clauses.append("due_at < \(dueBefore.sqlSeconds)") }
        if let time = query.notOverdueAt {
            let finals = RequestState.allCases.filter(\.isFinal).map(\.rawValue).sorted()
            clauses.append("(due_at >= \(time.sqlSeconds) OR state IN (\(list: finals)))")
        }
        if let cursor = query.after {
            // After the named request in (received_at, id) order, read from its own row, so the
            // comparison is exact whatever precision a cursor could carry.
            let id = cursor.after.rawValue
            let at: SQLStatement = "(SELECT received_at FROM requests WHERE id = \(id))"
            clauses.append("(received_at > " + at + " OR (received_at = " + at + " AND id > \(id)))")
        }
        let filter: SQLStatement = clauses.isEmpty ? "" : " WHERE " + SQLStatement.joined(clauses, separator: " AND ")
        let limit: SQLStatement = query.limit.map { " LIMIT \($0)" } ?? ""
        return try await run("SELECT body, version FROM requests\(filter) ORDER BY received_at, id\(limit)").map(Self.request)
    }

    /// Counts the requests received in the window before this one (in the order they were
    /// filed), so the decision is the same whenever it is evaluated again. Only requests whose
    /// subject was verified count: unverified filings by someone else use up nothing.
    public func countRequests(subject: SubjectKey, right: String, receivedSince since: Date, excluding: RequestID, answeredOnly: Bool)
        async throws -> Int
    {
        let order = dialect.filingOrder
        let answered: SQLStatement = answeredOnly ? " AND r.state NOT IN ('denied', 'cancelled')" : ""
        return try await run(
            """
            SELECT COUNT(*) AS n FROM requests r
            WHERE r.subject_key = \(subject.rawValue) AND r."right" = \(right) AND r.received_at >= \(since.sqlSeconds)
              AND r.id <> \(excluding.rawValue)
              AND r.\(raw: order) < coalesce((SELECT \(raw: order) FROM requests WHERE id = \(excluding.rawValue)), 9223372036854775807)
              AND \(raw: dialect.jsonField("r.body", "verification")) IS NOT NULL\(answered)
            """
        ).first?.decode("n") ?? 0
    }

    public func journalledResult(of step: String, request: RequestID) async throws -> Data? {
        try await run("SELECT result FROM journal WHERE request_id = \(request.rawValue) AND step = \(step)").first?.decode("result")
    }

    public func record(_ step: StepRecord) async throws {
        let time = clock.now
        let now = time.sqlSeconds
        try await transaction { connection in
            if let owner = step.owner {
                let held = try await connection.query(
                    """
                    UPDATE requests SET claim_expires = \((step.renewUntil ?? time).sqlSeconds)
                    WHERE id = \(step.request.rawValue) AND claim_owner = \(owner.rawValue) RETURNING 1 AS held
                    """)
                guard !held.isEmpty else { throw LedgerConflict(request: step.request, current: nil, claimed: true) }
            }
            let recorded = try await connection.query(
                """
                INSERT INTO journal (request_id, step, result, recorded_at) VALUES (\(step.request.rawValue), \(step.step), \(step.result), \(now))
                ON CONFLICT DO NOTHING RETURNING 1 AS recorded
                """)
            guard !recorded.isEmpty else { throw LedgerConflict(request: step.request, current: nil, claimed: true) }
            try await self.enqueue(step.messages, at: now, on: connection)
            try await self.appendAudit(step.audit, at: time, on: connection)
        }
        auditAppended()
    }

    public func responsesToRemove(finalBefore cutoff: Date, limit: Int) async throws -> [RightRequest] {
        try await run(
            """
            SELECT body, version FROM requests WHERE responses_removed = \(false) AND final_at < \(cutoff.sqlSeconds) ORDER BY final_at LIMIT \(limit)
            """
        ).map(Self.request)
    }

    public func forgetIntake(before cutoff: Date) async throws {
        try await run("DELETE FROM intake_events WHERE at <= \(cutoff.sqlSeconds)")
    }

    public func markResponsesRemoved(_ id: RequestID) async throws {
        try await run("UPDATE requests SET responses_removed = \(true) WHERE id = \(id.rawValue)")
    }

    /// How many requests are in each right and state, for metrics; a count, never a row.
    public func requestCounts() async throws -> [(right: String, state: String, count: Int)] {
        try await run("SELECT \"right\" AS r, state, COUNT(*) AS n FROM requests GROUP BY \"right\", state").map {
            (right: try $0.decode("r"), state: try $0.decode("state"), count: try $0.decode("n"))
        }
    }

    /// Open requests whose deadline passed by `time`.
    public func overdueCount(at time: Date) async throws -> Int {
        let open = RequestState.allCases.filter { !$0.isFinal }.map(\.rawValue)
        return try await run("SELECT COUNT(*) AS n FROM requests WHERE due_at < \(time.sqlSeconds) AND state IN (\(list: open))")
            .first?.decode("n") ?? 0
    }

    static func request(_ row: SQLRow) throws -> RightRequest {
        try CanonicalJSON.decode(RightRequest.self, from: Data(try row.decode("body", as: String.self).utf8))
            .stored(at: try row.decode("version"))
    }

    /// Why a conditional change did not apply: the request moved on, a live claim holds it, or
    /// (when the row was still as the change expected) a hold appeared on the subject.
    private static func conflict(
        _ request: RightRequest, owner: ClaimOwner, at now: Double, holdChecked: Bool, on connection: any SQLConnection
    ) async throws -> LedgerConflict {
        guard
            let row = try await connection.query(
                "SELECT state, version, claim_owner, claim_expires FROM requests WHERE id = \(request.id.rawValue)"
            )
            .first
        else { return LedgerConflict(request: request.id, current: nil, claimed: false) }
        let holder: String? = try row.decode("claim_owner")
        let expires: Double? = try row.decode("claim_expires")
        let claimed = holder != nil && holder != owner.rawValue && (expires ?? 0) > now
        if holdChecked, !claimed, try row.decode("version", as: Int.self) == request.version {
            return LedgerConflict(request: request.id, current: nil, claimed: false, holdAppeared: true)
        }
        return LedgerConflict(
            request: request.id, current: RequestState(rawValue: try row.decode("state")), claimed: holder != nil && (expires ?? 0) > now)
    }
}
