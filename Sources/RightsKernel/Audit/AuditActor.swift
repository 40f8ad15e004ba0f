/// Who acted, as the audit log records it: the system, an operator (by name), a right's module,
/// the requester. Each is spelt once here; the log keeps the text, so chains written before
/// verify as they did.
public struct AuditActor: StoredText {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// RightsKit itself: the pipeline, its sweeps and reminders.
    public static let system = AuditActor(rawValue: "system")
    /// An operator whose name the record does not carry (holds placed or lifted in the store).
    public static let anyOperator = AuditActor(rawValue: "operator")
    /// The person who filed, answering for their own request (a fee accepted, a cancellation).
    public static let requester = AuditActor(rawValue: "requester")

    /// An operator by the name of their token.
    public static func `operator`(_ name: String) -> AuditActor { AuditActor(rawValue: "operator:\(name)") }

    /// The module of a right (`module:erasure`).
    public static func module(_ right: String) -> AuditActor { AuditActor(rawValue: "module:\(right)") }

    /// The requester of a request by role, with the first twelve characters of the subject's
    /// salted key (`subject:3f2a…`, `agent:…`).
    public static func requester(_ role: RequesterRole, subject: SubjectKey) -> AuditActor {
        AuditActor(rawValue: "\(role.rawValue):\(subject.rawValue.prefix(12))")
    }
}
