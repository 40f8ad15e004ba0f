/// The append-only, hash-chained audit log.
public protocol AuditLog: Sendable {
    /// Appends one event, chained to the last entry.
    func append(_ event: AuditEvent) async throws
    /// The entries about one request, oldest first.
    func entries(for request: RequestID) async throws -> [AuditEntry]
    /// Checks the whole chain and reports the first break.
    func verify() async throws -> AuditVerification
}
