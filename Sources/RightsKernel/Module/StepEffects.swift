/// What a journalled step sends and records besides its own result: the messages and audit
/// entries commit in the same ledger transaction as the step's journal row, so a crash never
/// leaves a message sent twice or an effect unrecorded.
public struct StepEffects: Sendable {
    public private(set) var messages: [OutboundMessage] = []
    public private(set) var audit: [AuditEvent] = []

    public init() {}

    /// Queues a message, delivered once the step commits.
    public mutating func send(_ message: OutboundMessage) { messages.append(message) }

    /// Records an audit entry with the step.
    public mutating func record(_ event: AuditEvent) { audit.append(event) }
}
