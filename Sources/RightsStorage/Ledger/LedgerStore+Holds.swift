public import Foundation
public import RightsKernel

extension LedgerStore: ExceptionChecks {
    /// What commits that check the holds take shared, and placing a hold takes exclusively, so a
    /// hold placed after the pipeline read the holds still stops the move into work (a database
    /// with one writer at a time needs no lock for that).
    static let holdsLockKey = TransactionLockKey.number(0x5269_6768_7473_486F)

    static let holdColumns = "id, subject_key, category, ground_code, ground_explanation, authority, expires_at, created_at"

    public func activeHolds(for subject: SubjectKey, at time: Date) async throws -> [Hold] {
        try await run(
            """
            SELECT \(raw: Self.holdColumns) FROM holds
            WHERE (subject_key = \(subject.rawValue) OR subject_key IS NULL) AND (expires_at IS NULL OR expires_at > \(time.sqlSeconds))
            ORDER BY id
            """
        ).map(Self.hold)
    }

    public func addHold(_ hold: Hold) async throws -> Hold {
        let time = clock.now
        let saved = try await transaction { connection -> Hold in
            if let lock = self.dialect.lockStatement(Self.holdsLockKey) { try await connection.query(lock) }
            guard
                let id = try await connection.query(
                    """
                    INSERT INTO holds (subject_key, category, ground_code, ground_explanation, authority, expires_at, created_at)
                    VALUES (\(hold.subject?.rawValue), \(hold.category?.name), \(hold.ground.code), \(hold.ground.explanation), \(hold.authority),
                            \(hold.expiresAt?.sqlSeconds), \(hold.createdAt.sqlSeconds))
                    RETURNING id
                    """
                ).first?.decode("id", as: Int64.self)
            else { throw StoreError.nothingReturned("holds") }
            var saved = hold
            saved.id = id
            try await self.appendAudit([.holdAdded(saved)], at: time, on: connection)
            return saved
        }
        auditAppended()
        return saved
    }

    public func removeHold(id: Int64, at time: Date) async throws -> Bool {
        let now = time.sqlSeconds
        let lifted = try await transaction { connection -> Bool in
            // Lifting sets the expiry to now, so the hold's history stays readable.
            let lifted = try await !connection.query(
                "UPDATE holds SET expires_at = \(now) WHERE id = \(id) AND (expires_at IS NULL OR expires_at > \(now)) RETURNING 1 AS lifted"
            ).isEmpty
            if lifted { try await self.appendAudit([.holdLifted(id: id)], at: time, on: connection) }
            return lifted
        }
        auditAppended()
        return lifted
    }

    public func holds() async throws -> [Hold] {
        try await run("SELECT \(raw: Self.holdColumns) FROM holds ORDER BY id").map(Self.hold)
    }

    static func hold(_ row: SQLRow) throws -> Hold {
        let code: String = try row.decode("ground_code")
        let explanation: String = try row.decode("ground_explanation")
        return Hold(
            id: try row.decode("id"),
            subject: try row.decode("subject_key", as: String?.self).map(SubjectKey.init(rawValue:)),
            category: try row.decode("category", as: String?.self).map { DataCategory($0) },
            ground: DenialGround.kernel(code) ?? DenialGround(code: code, explanation: explanation),
            authority: try row.decode("authority"),
            expiresAt: try row.decode("expires_at", as: Double?.self).map { Date(timeIntervalSince1970: $0) },
            createdAt: Date(timeIntervalSince1970: try row.decode("created_at"))
        )
    }
}

extension AuditEvent {
    /// A hold placed: its number, ground, authority and scope.
    package static func holdAdded(_ hold: Hold) -> AuditEvent {
        var details = ["hold": "\(hold.id ?? 0)", "ground": hold.ground.code, "authority": hold.authority]
        if let subject = hold.subject { details["subject"] = subject.rawValue }
        if let category = hold.category { details["category"] = category.name }
        if let expiry = hold.expiresAt { details["expires"] = Timestamp.string(expiry) }
        return AuditEvent(actor: .anyOperator, action: .holdAdded, details: details)
    }

    package static func holdLifted(id: Int64) -> AuditEvent {
        AuditEvent(actor: .anyOperator, action: .holdLifted, details: ["hold": "\(id)"])
    }
}
