public import Foundation
import GRDB
public import RightsKernel

extension SQLiteStore: ExceptionChecks {
    /// The holds in force for a subject at a time (arguments: subject key, time): its own and
    /// every subject-less one, not yet expired.
    static let holdsInForce = "(subject_key = ? OR subject_key IS NULL) AND (expires_at IS NULL OR expires_at > ?)"

    public func activeHolds(for subject: SubjectKey, at time: Date) async throws -> [Hold] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM holds WHERE \(Self.holdsInForce) ORDER BY id",
                arguments: [subject.rawValue, time.timeIntervalSince1970]
            ).map(Self.hold)
        }
    }

    public func addHold(_ hold: Hold) async throws -> Hold {
        let time = clock.now
        return try await database.write { db in
            try db.execute(
                sql:
                    "INSERT INTO holds (subject_key, category, ground_code, ground_explanation, authority, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    hold.subject?.rawValue, hold.category?.name, hold.ground.code, hold.ground.explanation, hold.authority,
                    hold.expiresAt?.timeIntervalSince1970, hold.createdAt.timeIntervalSince1970,
                ]
            )
            var saved = hold
            saved.id = db.lastInsertedRowID
            try self.appendAudit(.holdAdded(saved), at: time, in: db)
            return saved
        }
    }

    public func removeHold(id: Int64, at time: Date) async throws -> Bool {
        try await database.write { db in
            // Lifting sets the expiry to now, so the hold's history stays readable.
            try db.execute(
                sql: "UPDATE holds SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
                arguments: [time.timeIntervalSince1970, id, time.timeIntervalSince1970]
            )
            guard db.changesCount == 1 else { return false }
            try self.appendAudit(.holdLifted(id: id), at: time, in: db)
            return true
        }
    }

    public func holds() async throws -> [Hold] {
        try await database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM holds ORDER BY id").map(Self.hold) }
    }

    static func hold(_ row: Row) -> Hold {
        let code: String = row["ground_code"]
        let subject: String? = row["subject_key"]
        let category: String? = row["category"]
        let expires: Double? = row["expires_at"]
        return Hold(
            id: row["id"],
            subject: subject.map(SubjectKey.init(rawValue:)),
            category: category.map { DataCategory($0) },
            ground: DenialGround.kernel(code) ?? DenialGround(code: code, explanation: row["ground_explanation"]),
            authority: row["authority"],
            expiresAt: expires.map { Date(timeIntervalSince1970: $0) },
            createdAt: Date(timeIntervalSince1970: row["created_at"])
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
        return AuditEvent(actor: "operator", action: "hold.added", details: details)
    }

    package static func holdLifted(id: Int64) -> AuditEvent {
        AuditEvent(actor: "operator", action: "hold.lifted", details: ["hold": "\(id)"])
    }
}
