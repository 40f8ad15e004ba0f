import Foundation
import RightsKernel
import RightsStorage

/// Tells operators of deadlines: a reminder `lead` days before a request is due, and a notice
/// once it is overdue. Each goes out once per request, however many servers run this, and says
/// only the request's id, right, state and deadline.
struct DeadlineReminders: Sendable {
    let store: any OperationsStore
    let clock: any WallClock
    let timeZone: TimeZone
    let lead: Int
    let operators: SubjectIdentity

    /// States an operator can act on; requests still waiting for the subject's code are not
    /// theirs to chase.
    static let watched: Set<RequestState> = [.verified, .awaitingFee, .awaitingReview, .inProgress, .needsAttention]

    /// Sends what is due now; returns how many notices went.
    @discardableResult
    func run() async throws -> Int {
        let now = clock.now
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let horizon = calendar.date(byAdding: .day, value: lead, to: now) ?? now
        var sent = 0
        for request in try await store.requests(RequestQuery(states: Self.watched, dueBefore: horizon)) {
            let due = Timestamp.day(request.dueAt, in: timeZone)
            let overdue = request.dueAt <= now
            let kind: DeadlineNotice = overdue ? .overdue : .reminder
            // A read first: an overdue request stays in this list until it closes, and the
            // notice it already had needs no write transaction every pass.
            if try await store.sent(kind, about: request.id) { continue }
            let text =
                overdue
                ? "Request \(request.id) (\(request.right), \(request.state.rawValue)) was due on \(due) and is still open."
                : "Request \(request.id) (\(request.right), \(request.state.rawValue)) is due on \(due)."
            let message = OutboundMessage(
                kind: MessageKind(rawValue: kind.rawValue), recipient: operators,
                title: overdue ? "Overdue: a rights request" : "Due soon: a rights request",
                body: text, request: request.id)
            let event = AuditEvent(
                actor: .system, action: overdue ? .deadlineOverdue : .deadlineReminded, request: request.id, details: ["due": due])
            if try await store.sendOnce(kind, about: request.id, message: message, event: event) { sent += 1 }
        }
        return sent
    }
}
