import Foundation
import Logging

extension RequestPipeline {
    // MARK: Entering work

    /// The checks made at every entry into work (after verification, approval, a settled fee,
    /// a resume): subject holds deny; the repetition policy quotes a fee or refuses; a review
    /// the right requires waits for an operator; otherwise the request goes in progress under
    /// this pipeline's claim.
    func enterWork(_ pending: inout PendingChange, right: Deployment.EnabledRight, holds: [Hold]) async throws {
        if try denyUnderSubjectHold(&pending, holds: holds) { return }
        if !pending.request.feeAccepted {
            switch try await repetitionDecision(for: pending.request) {
            case .free:
                break
            case .refuse:
                try deny(&pending, ground: .gratuitousRepetition, message: "The free allowance of requests in the window is used up.")
                return
            case .review(let earlier) where !pending.request.reviewApproved:
                try move(
                    &pending, to: .awaitingReview, action: .repetitionReview,
                    details: ["earlier": "\(earlier)", "window": policy.repetition?.windowDescription ?? ""])
                return
            case .review:
                break
            case .fee(let quote):
                quoteFee(&pending, quote)
                try move(
                    &pending, to: .awaitingFee, action: .feeQuoted,
                    details: [
                        "amount": "\(quote.amount)", "currency": quote.currency,
                        "until": Timestamp.string(pending.request.resumeAt ?? services.clock.now),
                    ])
                return
            }
        }
        if let simplified = policy.simplifiedAnswer, simplified.rights.contains(pending.request.right), pending.request.state == .verified {
            try await giveSimplifiedAnswer(&pending, holds: holds)
        }
        let request = pending.request
        let needsReview =
            right.settings.alwaysReview || right.settings.verification == .strong || request.reviewRequested
            || request.requester.speaksForAbsentSubject || right.module.needsReview(request)
        if needsReview, !request.reviewApproved {
            try move(&pending, to: .awaitingReview, action: .reviewRequired)
            return
        }
        try move(&pending, to: .inProgress, action: .processingStarted)
        pending.claim = .take(owner, expires: services.clock.now.addingTimeInterval(processing.lease))
        pending.requiresNoHoldOn = request.subjectKey
    }

    /// Runs the entry checks, commits, and carries the request out when it went in progress. A
    /// hold placed between reading the holds and committing makes the commit fail; the checks
    /// then run once more and see it.
    /// `holds`: those active on the subject, when the caller read them just before; read here otherwise.
    func enterWorkAndCarryOut(_ start: PendingChange, right: Deployment.EnabledRight, holds: [Hold]? = nil) async throws -> RightRequest {
        // Listed before the request is committed in progress, so this process's resume never
        // starts it alongside.
        try await inProgress.working(on: start.request.id) { try await enterWorkAndCarryOutListed(start, right: right, holds: holds) }
    }

    private func enterWorkAndCarryOutListed(_ start: PendingChange, right: Deployment.EnabledRight, holds read: [Hold]?) async throws
        -> RightRequest
    {
        var pending = start
        var holds: [Hold]
        if let read {
            holds = read
        } else {
            holds = try await services.exceptions.activeHolds(for: pending.request.subjectKey, at: services.clock.now)
        }
        try await enterWork(&pending, right: right, holds: holds)
        let stored: RightRequest
        do {
            stored = try await commit(pending)
        } catch let conflict as LedgerConflict where conflict.holdAppeared {
            pending = start
            holds = try await services.exceptions.activeHolds(for: pending.request.subjectKey, at: services.clock.now)
            try await enterWork(&pending, right: right, holds: holds)
            do {
                stored = try await commit(pending)
            } catch let again as LedgerConflict {
                throw PipelineError(.conflict, again.description)
            }
        }
        guard stored.state == .inProgress else { return stored }
        // Entered in progress just now from a state before work (enterWork never starts from
        // inProgress): nothing is journalled yet.
        return try await carryOut(stored, right: right, holds: holds, fresh: true)
    }

    /// Continues a request this pipeline has claimed in progress: subject holds are read again
    /// (one placed since the work began stops it), then the module runs.
    func continueWork(_ request: RightRequest, right: Deployment.EnabledRight) async throws -> RightRequest {
        let holds = try await services.exceptions.activeHolds(for: request.subjectKey, at: services.clock.now)
        var pending = PendingChange(request)
        if try denyUnderSubjectHold(&pending, holds: holds) { return try await commit(pending) }
        return try await carryOut(request, right: right, holds: holds)
    }

    /// Denies when a hold covers the whole subject, citing its ground only (the authority stays
    /// in the audit log); true when it did.
    func denyUnderSubjectHold(_ pending: inout PendingChange, holds: [Hold]) throws -> Bool {
        guard let hold = holds.first(where: { $0.category == nil }) else { return false }
        try deny(
            &pending, ground: hold.ground, message: "A legal hold applies, so this request cannot be carried out now.",
            details: ["hold": "\(hold.id ?? 0)", "authority": hold.authority])
        return true
    }

    /// LGPD Art. 19 I: once the identity is verified, whether data is held about the subject
    /// and in which categories (those under a hold left out), with the date of the complete
    /// answer; in the commit that starts the work, so it is sent exactly once.
    func giveSimplifiedAnswer(_ pending: inout PendingChange, holds: [Hold]) async throws {
        guard let subject = pending.request.subject, let contact = pending.request.contact else { return }
        let held = try await services.data.categoriesHeld(for: [subject])
        let withheld = holds.compactMap(\.category)
        let shown = held.filter { category in !withheld.contains { category.isWithin($0) } }.sorted()
        let due = texts.day(pending.request.dueAt, for: pending.request, in: policy.deadline.timeZone)
        let request = pending.request
        let summary =
            shown.isEmpty
            ? texts.said(to: request, "message.simplified.none")
            : texts.said(to: request, "message.simplified.held", ["categories": shown.map(\.name).joined(separator: ", ")])
        pending.messages.append(
            OutboundMessage(
                kind: .simplifiedAnswer, recipient: contact,
                title: texts.said(to: request, "message.simplified.title", ["right": texts.rightName(of: request)]),
                body: texts.said(to: request, "message.simplified.body", ["summary": summary, "due": due]), request: request.id))
        pending.record(event(pending.request, .answerSimplified, actor: .system, details: ["categories": "\(shown.count)"]))
    }

    // MARK: Carrying out

    /// Runs the module under this pipeline's claim and commits the outcome, its message and the
    /// final state in one transaction. A failing module is recorded, not left hanging.
    func carryOut(_ request: RightRequest, right: Deployment.EnabledRight, holds: [Hold], fresh: Bool = false) async throws -> RightRequest
    {
        let context = HandlingContext(
            requestID: request.id,
            services: services,
            categoryHolds: holds.filter { $0.category != nil },
            verification: request.verification ?? .none,
            logger: logger(for: request.id),
            owner: owner,
            lease: processing.lease,
            fresh: fresh,
            deferred: DeferredSteps()
        )
        let outcome: RightOutcome
        do {
            outcome = try await withClaimRenewed(request.id) { try await right.module.handle(request, context: context) }
        } catch let conflict as LedgerConflict {
            throw PipelineError(.conflict, conflict.description)
        } catch {
            try await recordFailure(of: request, error, steps: context.deferred?.take() ?? [])
            throw PipelineError(
                .workFailed,
                "request \(request.id) failed\(((error as? StepFailure)?.step).map { " at step \($0)" } ?? ""); it is recorded and will be retried",
                request: request.id)
        }
        var pending = PendingChange(request)
        pending.claim = .release
        pending.steps = context.deferred?.take() ?? []
        // Fresh work that journalled nothing on its own leaves no journal rows to drop.
        pending.mayHaveJournal = !fresh || (context.deferred?.journalWritten ?? true)
        if outcome.status == .waiting {
            // The module has work due later; it stays in progress until then.
            let until = outcome.resumeAt ?? services.clock.now
            pending.request.resumeAt = until
            pending.request.outcome = outcome
            pending.request.updatedAt = services.clock.now
            pending.record(
                event(request, .processingWaiting, actor: .module(request.right), details: ["until": Timestamp.string(until)]))
            return try await commit(pending)
        }
        pending.request.resumeAt = nil
        pending.request.failures = 0
        pending.request.lastFailure = nil
        pending.request.outcome = outcome
        if let message = outcomeMessage(pending.request, outcome: outcome) { pending.messages.append(message) }
        let final: RequestState =
            switch outcome.status {
            case .completed, .waiting: .completed
            case .partiallyCompleted: .partiallyCompleted
            case .denied: .denied
            }
        var details = ["status": outcome.status.rawValue]
        if let ground = outcome.ground { details["ground"] = ground.code }
        if !outcome.withheld.isEmpty {
            details["withheld"] = outcome.withheld.map { "\($0.category.name)=\($0.ground.code)" }.joined(separator: ",")
        }
        try move(&pending, to: final, action: .requestFinished(final), actor: .module(request.right), details: details)
        let stored = try await commit(pending)
        logger(for: request.id).info("request finished", metadata: ["state": "\(final.rawValue)"])
        return stored
    }

    /// Runs `work` while a heartbeat renews this pipeline's claim every third of the lease, so
    /// one long step (an erasure of millions of rows) is not taken over while it still runs.
    func withClaimRenewed<Result: Sendable>(_ id: RequestID, _ work: @escaping @Sendable () async throws -> Result) async throws -> Result {
        let services = services
        let owner = owner
        let lease = processing.lease
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(lease / 3))
                    if Task.isCancelled { break }
                    _ = try? await services.ledger.renewClaim(id, as: owner, until: services.clock.now.addingTimeInterval(lease))
                }
                return nil
            }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let result = finished { return result }
            }
            throw CancellationError()
        }
    }

    /// An instant recorded as RFC 3339, as `request`'s subject reads it: the deployment's local
    /// date, written in their language.
    private func localDay(_ instant: String, for request: RightRequest) -> String {
        Timestamp.date(instant).map { texts.day($0, for: request, in: policy.deadline.timeZone) } ?? instant
    }

    private func outcomeMessage(_ request: RightRequest, outcome: RightOutcome) -> OutboundMessage? {
        guard let contact = request.contact else { return nil }
        var body = outcome.message
        if let ground = outcome.ground {
            body +=
                "\n"
                + texts.said(
                    to: request, "message.outcome.ground", ["ground": ground.code, "explanation": texts.ground(ground, for: request)])
        }
        for withheld in outcome.withheld {
            let until = withheld.until.map { texts.said(to: request, "message.outcome.until", ["day": localDay($0, for: request)]) } ?? ""
            body +=
                "\n"
                + texts.said(
                    to: request,
                    "message.outcome.withheld",
                    ["category": withheld.category.name, "explanation": texts.ground(withheld.ground, for: request), "until": until])
        }
        if outcome.status == .denied { body += "\n" + texts.said(to: request, "message.outcome.remedy") }
        let title = texts.said(
            to: request,
            "message.outcome.title",
            ["right": texts.rightName(of: request), "status": texts.said(to: request, "message.status.\(outcome.status.rawValue)")])
        return OutboundMessage(
            kind: .outcome, recipient: contact, title: title, body: body,
            request: request.id)
    }

    /// Records a failed attempt at the module's work and gives the claim up; after
    /// `max_failures` the request waits for an operator in `needsAttention`.
    func recordFailure(of request: RightRequest, _ error: any Error, steps: [StepRecord] = []) async throws {
        let step = (error as? StepFailure)?.step
        let cause = (error as? StepFailure)?.underlying ?? error
        var pending = PendingChange(request)
        pending.claim = .release
        pending.steps = steps
        pending.request.failures += 1
        pending.request.lastFailure = WorkFailure(
            step: step, message: String(String(describing: cause).prefix(500)), at: services.clock.now)
        pending.request.updatedAt = services.clock.now
        var details = ["failures": "\(pending.request.failures)", "error": "\(type(of: cause))"]
        if let step { details["step"] = step }
        if pending.request.failures >= processing.maxFailures {
            try move(&pending, to: .needsAttention, action: .processingNeedsAttention, details: details)
        } else {
            pending.record(event(request, .processingFailed, actor: .system, details: details))
        }
        logger(for: request.id).error(
            "request work failed", metadata: ["step": "\(step ?? "-")", "failures": "\(pending.request.failures)"])
        try await commit(pending)
    }

    // MARK: Resuming

    /// Finishes every request a stopped process left unfinished (a passed code not yet
    /// recorded, verified, in progress without a live claim) and continues waiting requests
    /// whose time has come. A request that fails is reported and the others still run.
    public func resumeInterrupted() async throws -> ResumeReport {
        var report = ResumeReport()
        for id in try await services.identity.passedChallenges() {
            guard let request = try await services.ledger.request(id), request.state == .awaitingVerification else { continue }
            await report.run(id) { try await recordVerification(of: request, actor: .system) }
        }
        let now = services.clock.now
        let pending = try await services.ledger.requests(RequestQuery(states: [.verified, .inProgress]))
            .filter { $0.resumeAt.map { $0 <= now } ?? true }
        for candidate in pending where !inProgress.contains(candidate.id) {
            await report.run(candidate.id) {
                let expires = services.clock.now.addingTimeInterval(processing.lease)
                guard let request = try await services.ledger.claim(candidate.id, in: [.verified, .inProgress], as: owner, until: expires)
                else {
                    return nil  // another live process works it
                }
                logger(for: request.id).notice("resuming interrupted request", metadata: ["state": "\(request.state.rawValue)"])
                let right = try enabledRight(request.right)
                if request.state == .verified { return try await enterWorkAndCarryOut(PendingChange(request), right: right) }
                return try await inProgress.working(on: request.id) { try await continueWork(request, right: right) }
            }
        }
        report.finished += try await cancelLapsedQuotes()
        report.finished += try await closeUnconfirmed()
        report.restrictionsLifted = try await eraseLiftedRestrictions()
        report.responsesRemoved = try await removeExpiredResponses()
        return report
    }
}

/// What `resume` did: the requests it moved on, and those that failed, each with why.
public struct ResumeReport: Sendable {
    public struct Failure: Sendable, Equatable {
        public var request: RequestID
        public var message: String
    }

    public var finished: [RightRequest] = []
    public var failures: [Failure] = []
    /// Response folders removed because their retention ran out.
    public var responsesRemoved = 0
    /// Rows erased per table because their retention restriction lifted.
    public var restrictionsLifted: [String: Int] = [:]

    mutating func run(_ id: RequestID, _ body: () async throws -> RightRequest?) async {
        do {
            if let request = try await body() { finished.append(request) }
        } catch let error as PipelineError where error.code == .conflict {
            // Another live process moved it first: its work, not a failure.
            return
        } catch let error as PipelineError {
            failures.append(Failure(request: id, message: error.message))
        } catch {
            failures.append(Failure(request: id, message: String(String(describing: error).prefix(500))))
        }
    }
}
