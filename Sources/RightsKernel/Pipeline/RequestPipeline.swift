import Foundation
import Logging

/// The kernel's pipeline, run for every request whatever its right:
/// intake validation → deadline → identity verification → exception checks (holds, repetition,
/// manual review) → module → outcome → notification.
///
/// Each state change is saved with its audit entry in one transaction; module work is
/// journalled per step, so ``resumeInterrupted()`` finishes a request whose process died,
/// exactly once.
public struct RequestPipeline: Sendable {
    public let deployment: Deployment
    var services: Services { deployment.services }
    var policy: JurisdictionPolicy { deployment.settings.policy }

    public init(deployment: Deployment) {
        self.deployment = deployment
    }

    // MARK: Intake

    /// Accepts a new request: validates it, sets its deadline and issues the identity challenge.
    public func submit(_ intake: RequestIntake) async throws -> RightRequest {
        guard let right = deployment.rights[intake.right] else {
            let enabled = deployment.rights.keys.sorted().joined(separator: ", ")
            throw PipelineError(.rightNotEnabled, "the right '\(intake.right)' is not enabled in this deployment; enabled: \(enabled)")
        }
        let moduleType = type(of: right.module)
        guard moduleType.acceptedRequesters.contains(intake.requester) else {
            throw PipelineError(.requesterNotAccepted, "a \(intake.requester.rawValue) cannot file '\(intake.right)' requests")
        }
        if intake.requester != .subject, (intake.requesterReference ?? "").isEmpty {
            throw PipelineError(.invalidRequest, "requester_reference: requests filed by a requester of role \(intake.requester.rawValue) need a reference to their authority")
        }
        let now = services.clock.now
        var request = RightRequest(
            right: intake.right,
            subject: intake.subject,
            subjectKey: services.ledger.subjectKey(for: intake.subject),
            contact: intake.contact,
            requester: intake.requester,
            requesterReference: intake.requesterReference,
            parameters: intake.parameters,
            receivedAt: now,
            dueAt: policy.deadline.due(receivedAt: now)
        )
        do {
            try right.module.validate(request)
        } catch {
            throw PipelineError(.invalidRequest, error.description)
        }
        try await services.ledger.open(request, audit: event(request, "request.received", actor: requesterActor(request), details: [
            "right": request.right, "requester": request.requester.rawValue, "due": Timestamp.string(request.dueAt),
        ]))
        logger(for: request.id).info("request received", metadata: ["right": "\(request.right)"])

        if right.settings.verification == .none {
            try await move(&request, to: .verified, action: "identity.not-required")
            return try await advance(request.id)
        }
        try await services.identity.challenge(request, notice: right.module.verificationNotice(for: request))
        try await move(&request, to: .awaitingVerification, action: "identity.challenged", details: ["level": right.settings.verification.rawValue])
        return request
    }

    // MARK: Verification

    /// Checks a one-time code; on success the request continues through the pipeline.
    public func verify(_ id: RequestID, code: String) async throws -> RightRequest {
        var request = try await load(id)
        guard request.state == .awaitingVerification else {
            throw PipelineError(.illegalTransition, "request \(id) is not awaiting verification (it is \(request.state.rawValue))")
        }
        let result = try await services.identity.verify(id, response: code)
        switch result {
        case .verified:
            let level = try enabledRight(request.right).settings.verification
            try await move(&request, to: .verified, action: "identity.verified", details: ["level": level.rawValue])
            return try await advance(id)
        case .locked:
            try await services.audit.append(event(request, "identity.locked", actor: "system"))
            try await finishDenied(&request, ground: .identityNotVerified, message: "Too many wrong verification codes.")
            throw PipelineError(.verificationFailed, "too many wrong codes; request \(id) is denied")
        case .rejected(let remaining):
            try await services.audit.append(event(request, "identity.rejected", actor: requesterActor(request), details: ["remaining": "\(remaining)"]))
            throw PipelineError(.verificationFailed, "wrong code; \(remaining) attempt(s) left")
        case .expired:
            try await services.audit.append(event(request, "identity.expired", actor: "system"))
            throw PipelineError(.verificationFailed, "the code has expired; ask for a new one with `rightskit resend`")
        case .noChallenge:
            throw PipelineError(.verificationFailed, "no verification code is outstanding for request \(id)")
        }
    }

    /// Issues a fresh code for a request still awaiting verification (the old one stops working).
    public func resendChallenge(_ id: RequestID) async throws {
        let request = try await load(id)
        guard request.state == .awaitingVerification else {
            throw PipelineError(.illegalTransition, "request \(id) is not awaiting verification (it is \(request.state.rawValue))")
        }
        try await services.identity.challenge(request, notice: try enabledRight(request.right).module.verificationNotice(for: request))
        try await services.audit.append(event(request, "identity.challenged-again", actor: requesterActor(request)))
    }

    // MARK: Processing

    /// Takes a request as far as it can go: exception checks, then the module, then the outcome.
    /// Stops at states that wait for someone (fee, review); returns the request as saved.
    @discardableResult
    public func advance(_ id: RequestID) async throws -> RightRequest {
        var request = try await load(id)
        let right = try enabledRight(request.right)
        var holds: [Hold]?
        if request.state == .verified {
            let active = try await services.exceptions.activeHolds(for: request.subjectKey, at: services.clock.now)
            holds = active
            if let hold = active.first(where: { $0.category == nil }) {
                try await finishDenied(&request, ground: hold.ground, message: "A hold applies (authority: \(hold.authority)).", details: ["hold": "\(hold.id ?? 0)"])
                return request
            }
            switch try await repetitionDecision(for: request) {
            case .free:
                break
            case .refuse:
                try await finishDenied(&request, ground: .gratuitousRepetition, message: "The free allowance of requests in the window is used up.")
                return request
            case .fee(let quote):
                request.feeQuote = quote
                try await move(&request, to: .awaitingFee, action: "repetition.fee-quoted", details: ["amount": "\(quote.amount)", "currency": quote.currency])
                return request
            }
            if right.settings.alwaysReview || right.settings.verification == .strong || request.reviewRequested || right.module.needsReview(request) {
                try await move(&request, to: .awaitingReview, action: "review.required")
                return request
            }
            try await move(&request, to: .inProgress, action: "processing.started")
        }
        guard request.state == .inProgress else { return request }
        return try await carryOut(&request, right: right, holds: holds)
    }

    /// Runs the module; `holds` are those read moments ago by the exception checks, or nil when
    /// the request was already in progress (resumed, approved) and they are read now.
    private func carryOut(_ request: inout RightRequest, right: Deployment.EnabledRight, holds known: [Hold]?) async throws -> RightRequest {
        let holds: [Hold]
        if let known {
            holds = known
        } else {
            holds = try await services.exceptions.activeHolds(for: request.subjectKey, at: services.clock.now)
        }
        let context = HandlingContext(
            requestID: request.id,
            services: services,
            categoryHolds: holds.filter { $0.category != nil },
            verification: right.settings.verification,
            logger: logger(for: request.id)
        )
        let outcome = try await right.module.handle(request, context: context)
        if outcome.status == .waiting {
            // The module has work due later; it stays in progress until then.
            request.resumeAt = outcome.resumeAt ?? services.clock.now
            request.updatedAt = services.clock.now
            try await services.ledger.save(request, audit: event(request, "processing.waiting", actor: "module:\(request.right)", details: [
                "until": Timestamp.string(request.resumeAt ?? services.clock.now),
            ]))
            return request
        }
        request.resumeAt = nil
        let final: RequestState = switch outcome.status {
        case .completed, .waiting: .completed
        case .partiallyCompleted: .partiallyCompleted
        case .denied: .denied
        }
        request.outcome = outcome
        try await notifyOutcome(request, context: context)
        var details = ["status": outcome.status.rawValue]
        if let ground = outcome.ground { details["ground"] = ground.code }
        if !outcome.withheld.isEmpty { details["withheld"] = outcome.withheld.map { "\($0.category.name)=\($0.ground.code)" }.joined(separator: ",") }
        try await move(&request, to: final, action: "request.\(final.rawValue)", actor: "module:\(request.right)", details: details)
        logger(for: request.id).info("request finished", metadata: ["state": "\(final.rawValue)"])
        return request
    }

    private func notifyOutcome(_ request: RightRequest, context: HandlingContext) async throws {
        guard let contact = request.contact, let outcome = request.outcome else { return }
        _ = try await context.step("kernel.notify-outcome") {
            var body = outcome.message
            if let ground = outcome.ground { body += "\nGround: \(ground.code): \(ground.explanation)." }
            for withheld in outcome.withheld {
                body += "\nWithheld \(withheld.category.name): \(withheld.ground.explanation)" + (withheld.until.map { " (until \($0))" } ?? "") + "."
            }
            if outcome.status == .denied {
                body += "\nYou may ask for this decision to be explained, complain to the supervisory authority or seek a remedy in court."
            }
            try await services.notifier.send(OutboundMessage(kind: "outcome", recipient: contact, title: "Your \(request.right) request: \(outcome.status.rawValue)", body: body, request: request.id))
            return true
        }
    }

    /// Finishes every request that a stopped process left verified or in progress, and
    /// continues waiting requests whose time has come.
    public func resumeInterrupted() async throws -> [RightRequest] {
        let now = services.clock.now
        let pending = try await services.ledger.requests(RequestQuery(states: [.verified, .inProgress]))
            .filter { $0.resumeAt.map { $0 <= now } ?? true }
        var finished: [RightRequest] = []
        for request in pending {
            logger(for: request.id).notice("resuming interrupted request", metadata: ["state": "\(request.state.rawValue)"])
            finished.append(try await advance(request.id))
        }
        return finished
    }

    // MARK: Operators

    /// Approves a request waiting for a fee or a review, and carries it out.
    public func approve(_ id: RequestID, operator name: String) async throws -> RightRequest {
        var request = try await load(id)
        guard request.state == .awaitingFee || request.state == .awaitingReview else {
            throw PipelineError(.illegalTransition, "request \(id) is not waiting for approval (it is \(request.state.rawValue))")
        }
        let action = request.state == .awaitingFee ? "fee.settled" : "review.approved"
        try await move(&request, to: .inProgress, action: action, actor: "operator:\(name)")
        return try await advance(id)
    }

    /// Denies a request, citing its ground.
    public func deny(_ id: RequestID, ground: DenialGround, operator name: String, note: String? = nil) async throws -> RightRequest {
        var request = try await load(id)
        try await finishDenied(&request, ground: ground, message: note ?? ground.explanation, actor: "operator:\(name)")
        return request
    }

    /// Routes a request that has not started to an operator's review.
    public func requestReview(_ id: RequestID, operator name: String) async throws -> RightRequest {
        var request = try await load(id)
        guard !request.state.isFinal, request.state != .inProgress else {
            throw PipelineError(.illegalTransition, "request \(id) can no longer be routed to review (it is \(request.state.rawValue))")
        }
        request.reviewRequested = true
        if request.state.allows(.awaitingReview) {
            try await move(&request, to: .awaitingReview, action: "review.requested", actor: "operator:\(name)")
        } else {
            request.updatedAt = services.clock.now
            try await services.ledger.save(request, audit: event(request, "review.requested", actor: "operator:\(name)"))
        }
        return request
    }

    /// Extends the deadline once, recording the reason.
    public func extend(_ id: RequestID, reason: String, operator name: String) async throws -> RightRequest {
        var request = try await load(id)
        guard !request.state.isFinal else { throw PipelineError(.extensionRefused, "request \(id) is already \(request.state.rawValue)") }
        guard request.extensionReason == nil else { throw PipelineError(.extensionRefused, "request \(id) was already extended once") }
        guard policy.deadline.extensionDays > 0 else { throw PipelineError(.extensionRefused, "this deployment's policy allows no extension") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw PipelineError(.extensionRefused, "an extension needs a reason") }
        request.extensionReason = reason
        request.dueAt = policy.deadline.extended(request.dueAt)
        request.updatedAt = services.clock.now
        try await services.ledger.save(request, audit: event(request, "deadline.extended", actor: "operator:\(name)", details: ["due": Timestamp.string(request.dueAt)]))
        if let contact = request.contact {
            try await services.notifier.send(OutboundMessage(kind: "extension", recipient: contact, title: "Your \(request.right) request needs more time", body: "We will respond by \(Timestamp.string(request.dueAt)). Reason: \(reason)", request: id))
        }
        return request
    }

    /// Cancels a request that has not started.
    public func cancel(_ id: RequestID, actor: String) async throws -> RightRequest {
        var request = try await load(id)
        try await move(&request, to: .cancelled, action: "request.cancelled", actor: actor)
        return request
    }

    // MARK: Private

    func load(_ id: RequestID) async throws -> RightRequest {
        guard let request = try await services.ledger.request(id) else {
            throw PipelineError(.requestNotFound, "no request \(id)")
        }
        return request
    }

    func enabledRight(_ identifier: String) throws -> Deployment.EnabledRight {
        guard let right = deployment.rights[identifier] else {
            throw PipelineError(.rightNotEnabled, "the right '\(identifier)' is not enabled in this deployment")
        }
        return right
    }

    private func repetitionDecision(for request: RightRequest) async throws -> RepetitionDecision {
        guard let repetition = policy.repetition else { return .free }
        let earlier = try await services.ledger.countRequests(
            subject: request.subjectKey,
            right: request.right,
            receivedSince: repetition.windowStart(endingAt: request.receivedAt),
            excluding: request.id
        )
        return repetition.decision(earlierInWindow: earlier)
    }

    private func finishDenied(_ request: inout RightRequest, ground: DenialGround, message: String, actor: String = "system", details: [String: String] = [:]) async throws {
        request.outcome = .denied(ground, message: message)
        if let contact = request.contact {
            try await services.notifier.send(OutboundMessage(kind: "outcome", recipient: contact, title: "Your \(request.right) request: denied", body: "\(message)\nGround: \(ground.code): \(ground.explanation).\nYou may complain to the supervisory authority or seek a remedy in court.", request: request.id))
        }
        try await move(&request, to: .denied, action: "request.denied", actor: actor, details: details.merging(["ground": ground.code]) { $1 })
    }

    /// Applies a transition and saves it with its audit entry; a final state also minimises.
    private func move(_ request: inout RightRequest, to next: RequestState, action: String, actor: String = "system", details: [String: String] = [:]) async throws {
        do {
            try request.transition(to: next, at: services.clock.now)
        } catch {
            throw PipelineError.from(error)
        }
        if next.isFinal { request.minimise() }
        try await services.ledger.save(request, audit: event(request, action, actor: actor, details: details.merging(["state": next.rawValue]) { $1 }))
    }

    private func event(_ request: RightRequest, _ action: String, actor: String, details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(actor: actor, action: action, request: request.id, details: details.merging(["subject": request.subjectKey.rawValue]) { $1 })
    }

    private func requesterActor(_ request: RightRequest) -> String {
        "\(request.requester.rawValue):\(request.subjectKey.rawValue.prefix(12))"
    }

    private func logger(for id: RequestID) -> Logger {
        var logger = services.logger
        logger[metadataKey: "request"] = "\(id)"
        return logger
    }
}
