import Foundation

/// Requests, their state and their step journal.
///
/// Every state change is saved together with its audit entry in one transaction, so the ledger
/// and the audit log never disagree.
public protocol RequestLedger: Sendable {
    /// The salted key for an identity; stable for the life of the ledger.
    func subjectKey(for identity: SubjectIdentity) -> SubjectKey
    /// Records a new request and its audit entry atomically.
    func open(_ request: RightRequest, audit: AuditEvent) async throws
    /// Saves a changed request and its audit entry atomically. When the request is final the
    /// ledger also drops its journal, keeping only what proves the response.
    func save(_ request: RightRequest, audit: AuditEvent) async throws
    func request(_ id: RequestID) async throws -> RightRequest?
    /// Requests matching a filter, oldest first.
    func requests(_ query: RequestQuery) async throws -> [RightRequest]
    /// How many other requests of this subject and right were received at or after `since`.
    func countRequests(subject: SubjectKey, right: String, receivedSince since: Date, excluding: RequestID) async throws -> Int
    /// The recorded result of a completed step, if the step ran.
    func journalledResult(of step: String, request: RequestID) async throws -> Data?
    /// Records that a step completed with `result`.
    func journal(step: String, request: RequestID, result: Data) async throws
}

/// A filter over the ledger's requests.
public struct RequestQuery: Sendable, Equatable {
    public var states: Set<RequestState>
    public var right: String?
    public var dueBefore: Date?
    /// Only requests about this subject.
    public var subject: SubjectKey?

    public init(states: Set<RequestState> = [], right: String? = nil, dueBefore: Date? = nil, subject: SubjectKey? = nil) {
        self.states = states
        self.right = right
        self.dueBefore = dueBefore
        self.subject = subject
    }
}
