import Foundation
import RightsKernel

/// What a server needs of a deployment's store beyond the kernel's own protocols: operators'
/// tokens, the outbox as operators see it and its delivery, deadline notices, counts for
/// metrics, and the audit log's verification and checkpoints. The SQLite store serves it; a
/// store shared by several servers (PostgreSQL) serves the same, so `rightskit serve` runs on
/// either.
public protocol OperationsStore: RequestLedger {
    /// The live token whose secret is `secret`, if any.
    func token(secret: String) async throws -> OperatorToken?
    /// The queued and delivered messages, oldest first, optionally of one request.
    func outbox(request: RequestID?) async throws -> [OutboxMessage]
    /// Delivers every pending message it can claim; failures keep their claim for `lease`.
    func deliver(via delivery: any MessageDelivery, lease: TimeInterval) async throws -> OutboxDeliveryReport
    /// Queues `message` with `event`, unless that notice went before; true when this call sent it.
    func sendOnce(_ kind: DeadlineNotice, about request: RequestID, message: OutboundMessage, event: AuditEvent) async throws -> Bool
    /// Whether the notice `kind` went for `request`.
    func sent(_ kind: DeadlineNotice, about request: RequestID) async throws -> Bool
    /// How many requests are in each right and state.
    func requestCounts() async throws -> [(right: String, state: String, count: Int)]
    /// Open requests whose deadline passed by `time`.
    func overdueCount(at time: Date) async throws -> Int
    /// The audit entries of one request, in order.
    func entries(for request: RequestID) async throws -> [AuditEntry]
    /// The audit chain's verdict with its checkpoints.
    func auditReport(settings: DeploymentSettings) async throws -> AuditReport
    /// Signs the audit head; nil when the log is empty.
    func signCheckpoint(settings: DeploymentSettings) async throws -> AuditCheckpoint?
    /// Whether the store answers.
    func isReachable() async -> Bool
}

extension SQLiteStore: OperationsStore {}
