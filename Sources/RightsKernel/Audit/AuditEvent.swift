import Foundation

/// Something that happened, as the kernel or a module reports it to the audit log.
///
/// Details hold references or salted hashes only, never raw personal data.
public struct AuditEvent: Codable, Sendable, Equatable {
    /// Who acted: `subject:<key prefix>`, `operator:<name>`, `system`, `module:<id>`.
    public var actor: AuditActor
    /// What happened, dotted: `request.received`, `state.verified`, `hold.added`.
    public var action: AuditAction
    public var request: RequestID?
    public var details: [String: String]

    public init(actor: AuditActor, action: AuditAction, request: RequestID? = nil, details: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.request = request
        self.details = details
    }
}
