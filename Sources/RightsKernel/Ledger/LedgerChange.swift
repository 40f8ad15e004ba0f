public import Foundation

/// One atomic change to the ledger: a request's new state, the audit entries that record it,
/// the messages it sends (a transactional outbox: delivered after commit) and the one-time code
/// it issues. It commits only over the version it was made from, so of two processes that
/// change the same request at once, the second fails cleanly with ``LedgerConflict``.
public struct LedgerChange: Sendable {
    /// The request as it is to be stored.
    public var request: RightRequest
    /// False for a new request, which is inserted.
    public var replacesStored: Bool
    public var audit: [AuditEvent]
    public var messages: [OutboundMessage]
    /// A new one-time code for the request (it replaces any earlier one, keeping its attempts).
    public var code: StoredCode?
    /// What happens to the work claim on the request.
    public var claim: ClaimChange
    /// Who makes the change: it commits while the claim is free, expired or this owner's.
    public var owner: ClaimOwner
    /// Steps completed since the last commit whose records ride on this one: their journal rows
    /// (unless the request becomes final), messages and audit entries, before the change's own.
    public var steps: [StepRecord] = []
    /// Set on the move into work: the change commits only while no active hold covers this
    /// whole subject, so a hold placed after the pipeline read the holds still stops it.
    public var requiresNoHoldOn: SubjectKey?
    /// Caps this change counts against; when one is used up the change is refused with
    /// ``IntakeQuotaExceeded`` and nothing commits.
    public var quotas: [IntakeQuota] = []
    /// The state of the stored request this change replaces, when the change was made from a
    /// read of it: a ledger skips the clean-up an earlier change already did (a code and its
    /// messages are dropped on leaving verification, once).
    public var replacedState: RequestState?
    /// False when the maker knows no journal rows exist for the request (fresh work that
    /// journalled no step on its own), so a final state has none to drop.
    public var mayHaveJournal = true
    /// Set when the person confirmed the filing (answered its code, or needed not): the ledger
    /// records when, with the request, and a filing quota counting ``IntakeQuota/Action/confirmation``
    /// counts the person's confirmed filings.
    public var confirmsPerson = false

    public init(
        request: RightRequest, replacesStored: Bool = true, audit: [AuditEvent] = [], messages: [OutboundMessage] = [],
        code: StoredCode? = nil, claim: ClaimChange = .keep, owner: ClaimOwner
    ) {
        self.owner = owner
        self.request = request
        self.replacesStored = replacesStored
        self.audit = audit
        self.messages = messages
        self.code = code
        self.claim = claim
    }
}

/// What a ledger change does to the claim on a request's work.
public enum ClaimChange: Sendable, Equatable {
    /// Leaves the claim as it is.
    case keep
    /// Takes the claim for `owner` until `expires` (the change fails if another live claim holds it).
    case take(ClaimOwner, expires: Date)
    /// Gives the claim up: the work stopped, finished or waits.
    case release
}

/// Who works a request: one pipeline in one process. A claim is a lease: it names its owner and
/// an expiry, and an expired claim may be taken over by anyone.
public struct ClaimOwner: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A fresh owner for this process: host, process id and a random part.
    public static func thisProcess() -> ClaimOwner {
        let random = UUID().uuidString.prefix(8).lowercased()
        return ClaimOwner(rawValue: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(random)")
    }

    public var description: String { rawValue }

    /// Whether the owner was a process on this host that has ended (a killed worker): its
    /// claim protects nothing any more.
    public var isGoneFromThisHost: Bool {
        let parts = rawValue.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]) else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}

/// The completion of one journalled step, committed with the messages and audit entries the
/// step produced.
public struct StepRecord: Sendable {
    public var request: RequestID
    public var step: String
    /// The step's result, canonical JSON.
    public var result: Data
    public var audit: [AuditEvent]
    public var messages: [OutboundMessage]
    /// The claim the step was run under; the record commits only while it is still held, and
    /// renews it until `renewUntil`. Nil outside the pipeline (a module run directly in a test).
    public var owner: ClaimOwner?
    public var renewUntil: Date?

    public init(
        request: RequestID, step: String, result: Data, audit: [AuditEvent] = [], messages: [OutboundMessage] = [],
        owner: ClaimOwner? = nil, renewUntil: Date? = nil
    ) {
        self.request = request
        self.step = step
        self.result = result
        self.audit = audit
        self.messages = messages
        self.owner = owner
        self.renewUntil = renewUntil
    }
}

/// A change that lost a race: another process changed the request, or holds its claim.
public struct LedgerConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public let request: RequestID
    /// The state the ledger holds now, if the request exists.
    public let current: RequestState?
    /// True when the request is claimed by another live worker.
    public let claimed: Bool
    /// True when a hold on the whole subject appeared after the holds were read.
    public let holdAppeared: Bool

    public init(request: RequestID, current: RequestState?, claimed: Bool, holdAppeared: Bool = false) {
        self.request = request
        self.current = current
        self.claimed = claimed
        self.holdAppeared = holdAppeared
    }

    public var description: String {
        if holdAppeared { return "a legal hold was placed on the subject of request \(request) meanwhile; nothing was changed" }
        if claimed { return "request \(request) is being worked by another process; nothing was changed" }
        return "request \(request) was changed by another process (it is now \(current?.rawValue ?? "gone")); nothing was changed"
    }
}
