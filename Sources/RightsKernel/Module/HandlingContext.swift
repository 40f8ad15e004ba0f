public import Foundation
public import Logging
import Synchronization

/// What a module sees while it handles one request: the services, the category holds that
/// narrow the request, the verification level reached, and a journal that makes each step run
/// exactly once.
public struct HandlingContext: Sendable {
    public let services: Services
    /// Holds on data categories that apply to this subject; the module leaves those categories
    /// out and cites each hold's ground in its outcome.
    public let categoryHolds: [Hold]
    /// A logger carrying the request id as metadata.
    public let logger: Logger
    /// The level to which the requester's identity was actually verified.
    public let verification: VerificationLevel
    let requestID: RequestID
    /// The claim the pipeline holds on the request's work; steps commit only while it holds.
    let owner: ClaimOwner?
    let lease: TimeInterval
    /// Records of idempotent steps waiting for the request's next commit.
    let deferred: DeferredSteps?
    /// True when the work starts fresh (the request has just entered `inProgress` under this
    /// claim): no step can have been journalled before, so steps need not look.
    let fresh: Bool

    public init(requestID: RequestID, services: Services, categoryHolds: [Hold], verification: VerificationLevel = .code, logger: Logger) {
        self.init(
            requestID: requestID, services: services, categoryHolds: categoryHolds, verification: verification, logger: logger, owner: nil,
            lease: 0, fresh: false, deferred: nil)
    }

    init(
        requestID: RequestID, services: Services, categoryHolds: [Hold], verification: VerificationLevel, logger: Logger,
        owner: ClaimOwner?, lease: TimeInterval, fresh: Bool, deferred: DeferredSteps?
    ) {
        self.fresh = fresh
        self.deferred = deferred
        self.requestID = requestID
        self.services = services
        self.categoryHolds = categoryHolds
        self.verification = verification
        self.logger = logger
        self.owner = owner
        self.lease = lease
    }

    /// Runs `body` once for this request; if the step already completed (the process was
    /// interrupted after it), returns the journalled result without running it again.
    public func step<Result: Codable & Sendable>(
        _ name: String,
        durability: StepDurability = .recordedAtOnce,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await step(name, durability: durability) { (_: inout StepEffects) in try await body() }
    }

    /// Runs `body` once for this request; the messages and audit entries it puts in `effects`
    /// commit with the step's journal row, so they happen exactly once too.
    public func step<Result: Codable & Sendable>(
        _ name: String,
        durability: StepDurability = .recordedAtOnce,
        _ body: (inout StepEffects) async throws -> Result
    ) async throws -> Result {
        // Earlier idempotent steps are recorded before another effect happens.
        for record in deferred?.take() ?? [] {
            deferred?.noteJournalWritten()
            try await services.ledger.record(record)
            CrashPoint.reach("\(record.step):journal")
        }
        if !fresh, let recorded = try await services.ledger.journalledResult(of: name, request: requestID) {
            return try CanonicalJSON.decode(Result.self, from: recorded)
        }
        var effects = StepEffects()
        let result: Result
        do {
            result = try await body(&effects)
        } catch let failure as StepFailure {
            throw failure
        } catch {
            throw StepFailure(step: name, underlying: error)
        }
        CrashPoint.reach("\(name):effect")
        let record = StepRecord(
            request: requestID, step: name, result: try CanonicalJSON.encode(result),
            audit: effects.audit, messages: effects.messages,
            owner: owner, renewUntil: owner == nil ? nil : services.clock.now.addingTimeInterval(lease)
        )
        if durability == .idempotent, let deferred {
            deferred.append(record)
            return result
        }
        deferred?.noteJournalWritten()
        try await services.ledger.record(record)
        CrashPoint.reach("\(name):journal")
        return result
    }

    /// The categories under a hold, to leave out of what the module reads or changes.
    public var heldCategories: [DataCategory] { categoryHolds.compactMap(\.category) }

    /// Everything of the subject except the held categories.
    public var scopeOutsideHolds: DataScope { DataScope(excluding: heldCategories) }

    /// The held categories as the response states them, each with its ground.
    public var withheldByHolds: [WithheldCategory] { categoryHolds.compactMap(\.withheld) }

    /// The hold that withholds `category` (or a parent category of it), if any.
    public func hold(covering category: DataCategory) -> Hold? {
        categoryHolds.first { hold in hold.category.map { category.isWithin($0) } ?? false }
    }
}

/// A journalled step that failed, naming the step so operators see where the work stopped.
public struct StepFailure: Error, Sendable, CustomStringConvertible {
    public let step: String
    public let underlying: any Error

    public var description: String { "step \(step) failed: \(underlying)" }
}

/// How soon a step's journal row is committed.
public enum StepDurability: Sendable, Equatable {
    /// Before anything else happens: the step never runs twice. The default, and the only
    /// choice for an effect that cannot be repeated (a delivery to another organisation).
    case recordedAtOnce
    /// The effect can be repeated harmlessly (a file written again, a change the organisation's
    /// database journals itself), so its record rides on the request's next commit, one synced
    /// write fewer; a crash before that commit runs the step again. Its messages and audit
    /// entries still commit exactly once, with the record.
    case idempotent
}

/// The records of idempotent steps not yet committed, taken by the pipeline's next commit.
final class DeferredSteps: Sendable {
    private let records = Mutex<[StepRecord]>([])
    private let wroteJournal = Mutex(false)

    /// A step of this run went to the journal on its own (not with the final commit).
    func noteJournalWritten() { wroteJournal.withLock { $0 = true } }

    /// Whether any step of this run went to the journal on its own.
    var journalWritten: Bool { wroteJournal.withLock { $0 } }

    func append(_ record: StepRecord) { records.withLock { $0.append(record) } }

    func take() -> [StepRecord] {
        records.withLock { records in
            defer { records = [] }
            return records
        }
    }
}

extension HandlingContext {
    /// A sentence for `request`'s subject in their language, from the right's texts (`key` under
    /// `right.<right>.`) or the kernel's, with `values` filled in.
    public func said(to request: RightRequest, _ key: String, _ values: [String: String] = [:]) -> String {
        services.texts.said(to: request, key, values)
    }

    /// What `ground` means, in `request`'s subject's language.
    public func explanation(of ground: DenialGround, for request: RightRequest) -> String { services.texts.ground(ground, for: request) }

    /// Items listed as `request`'s subject's language lists them.
    public func list(_ items: [String], for request: RightRequest, strong: Bool = false) -> String {
        services.texts.list(items, for: request, strong: strong)
    }

    /// A local day told to `request`'s subject, in the deployment's timezone and their language.
    public func day(_ date: Date, for request: RightRequest) -> String {
        services.texts.day(date, for: request, in: services.timeZone)
    }
}
