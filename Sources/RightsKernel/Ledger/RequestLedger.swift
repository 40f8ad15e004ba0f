public import Foundation

/// Requests, their state, their work claims and their step journal.
///
/// Every change commits as one transaction with its audit entries and the messages it sends,
/// and only over the version it was made from (``LedgerChange``), so concurrent processes never
/// both move a request.
public protocol RequestLedger: Sendable {
    /// The salted key for an identity; stable for the life of the ledger.
    func subjectKey(for identity: SubjectIdentity) -> SubjectKey
    /// Commits one change atomically and returns the request as stored (its new version).
    /// Throws ``LedgerConflict`` when the request moved on or another live claim holds it.
    /// When the request becomes final the ledger also drops its journal and code, keeping only
    /// what proves the response.
    func commit(_ change: LedgerChange) async throws -> RightRequest
    /// Takes the work claim on a request in one of `states` whose claim is free or expired;
    /// nil when another live claim holds it or the request is in another state.
    func claim(_ id: RequestID, in states: Set<RequestState>, as owner: ClaimOwner, until expires: Date) async throws -> RightRequest?
    /// Extends a claim `owner` still holds; false when the claim was lost.
    func renewClaim(_ id: RequestID, as owner: ClaimOwner, until expires: Date) async throws -> Bool
    func request(_ id: RequestID) async throws -> RightRequest?
    /// The request with its outstanding code and the holds on its subject active at `time`, in
    /// one read: what checking a response to its challenge, and moving it into work, need.
    func requestUnderVerification(_ id: RequestID, at time: Date) async throws -> RequestUnderVerification?
    /// Requests matching a filter, oldest first.
    func requests(_ query: RequestQuery) async throws -> [RightRequest]
    /// How many other verified requests of this subject and right were received at or after
    /// `since`; with `answeredOnly`, not those denied or cancelled (the disclosures CCPA counts).
    func countRequests(subject: SubjectKey, right: String, receivedSince since: Date, excluding: RequestID, answeredOnly: Bool)
        async throws -> Int
    /// The recorded result of a completed step, if the step ran.
    func journalledResult(of step: String, request: RequestID) async throws -> Data?
    /// Records that a step completed, with its messages and audit entries, in one transaction;
    /// throws ``LedgerConflict`` when the claim it ran under was lost or the step was recorded.
    func record(_ step: StepRecord) async throws
    /// Finished requests whose response files are still kept and which became final before
    /// `cutoff`, oldest first, at most `limit`: found by index, so a sweep every minute does not
    /// read every finished request.
    func responsesToRemove(finalBefore cutoff: Date, limit: Int) async throws -> [RightRequest]
    /// Records that a finished request's response files are gone, so it is not listed again.
    func markResponsesRemoved(_ id: RequestID) async throws
    /// Forgets the intake actions counted before `cutoff` (older than any quota's window):
    /// a count only ever looks back one window, so older rows are dead weight.
    func forgetIntake(before cutoff: Date) async throws
    /// Minimises messages queued before `cutoff` that were never delivered (kind, time and a
    /// salted hash of the recipient stay; the text goes), so an outbox nobody empties does not
    /// keep people's addresses and codes for ever; returns how many.
    func minimiseUndelivered(queuedBefore cutoff: Date) async throws -> Int
}

extension RequestLedger {
    public func forgetIntake(before cutoff: Date) async throws {}
    public func minimiseUndelivered(queuedBefore cutoff: Date) async throws -> Int { 0 }
}

/// A filter over the ledger's requests.
public struct RequestQuery: Sendable, Equatable {
    public var states: Set<RequestState>
    public var right: String?
    public var dueBefore: Date?
    /// Only requests about this subject.
    public var subject: SubjectKey?
    /// Only requests still open and due at or after this time, or final (not overdue then).
    public var notOverdueAt: Date?
    /// At most this many, in filing order, starting after `after`: one page of a long list.
    public var limit: Int?
    public var after: RequestCursor?

    public init(states: Set<RequestState> = [], right: String? = nil, dueBefore: Date? = nil, subject: SubjectKey? = nil) {
        self.states = states
        self.right = right
        self.dueBefore = dueBefore
        self.subject = subject
    }
}

/// Where a page of requests ends, in the order they were received: the next page starts after
/// the request it names. Opaque to clients as its ``text`` (the request's id).
public struct RequestCursor: Sendable, Equatable {
    public var after: RequestID

    public init(after request: RequestID) { self.after = request }

    public var text: String { after.rawValue }

    public init?(text: String) {
        guard let id = RequestID(text) else { return nil }
        after = id
    }
}
