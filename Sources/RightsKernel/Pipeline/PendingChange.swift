import Foundation

/// A state change being assembled: the request's new state and everything that must commit
/// with it (audit entries, messages, a code, the claim), committed by the pipeline in one go.
struct PendingChange: Sendable {
    var request: RightRequest
    var replacesStored: Bool
    var audit: [AuditEvent] = []
    var messages: [OutboundMessage] = []
    var code: StoredCode?
    var claim: ClaimChange = .keep
    var steps: [StepRecord] = []
    var requiresNoHoldOn: SubjectKey?
    var quotas: [IntakeQuota] = []
    /// The state the change was made from (nil for a new request).
    let replacedState: RequestState?
    /// False when this pipeline knows no journal rows were written for the request.
    var mayHaveJournal = true
    /// The person confirmed the filing with this change (what their filing quota counts).
    var confirmsPerson = false

    init(_ request: RightRequest, replacesStored: Bool = true) {
        self.request = request
        self.replacesStored = replacesStored
        replacedState = replacesStored ? request.state : nil
    }

    mutating func record(_ event: AuditEvent) { audit.append(event) }

    func ledgerChange(by owner: ClaimOwner) -> LedgerChange {
        var change = LedgerChange(
            request: request, replacesStored: replacesStored, audit: audit, messages: messages, code: code, claim: claim, owner: owner)
        change.steps = steps
        change.requiresNoHoldOn = requiresNoHoldOn
        change.quotas = quotas
        change.replacedState = replacedState
        change.mayHaveJournal = mayHaveJournal
        change.confirmsPerson = confirmsPerson
        return change
    }
}

extension RequestPipeline {
    /// Applies a transition and records its audit entry; a final state also minimises.
    func move(
        _ pending: inout PendingChange, to next: RequestState, action: AuditAction, actor: AuditActor = .system,
        details: [String: String] = [:]
    ) throws {
        do {
            try pending.request.transition(to: next, at: services.clock.now)
        } catch {
            throw PipelineError.from(error)
        }
        if next.isFinal {
            pending.request.minimise()
            pending.claim = .release
        }
        pending.record(event(pending.request, action, actor: actor, details: details.merging(["state": next.rawValue]) { $1 }))
        tellChannel(&pending)
    }

    /// Queues, in the same commit, a status callback to each address the standard that carried
    /// the request in asked for: a change is never lost and never sent for a state not saved.
    func tellChannel(_ pending: inout PendingChange) {
        guard let channel = pending.request.channel, !channel.callbacks.isEmpty,
            let body = try? CanonicalJSON.string(RequestStatusChange(pending.request, channel: channel))
        else { return }
        for callback in channel.callbacks {
            pending.messages.append(
                OutboundMessage(
                    kind: .statusCallback, recipient: SubjectIdentity(kind: SubjectIdentity.callbackKind, value: callback.absoluteString),
                    title: pending.request.state.rawValue, body: body, request: pending.request.id))
        }
    }

    /// Denies, citing the ground, and tells the requester in the same commit.
    func deny(
        _ pending: inout PendingChange, ground: DenialGround, message: String, actor: AuditActor = .system, details: [String: String] = [:]
    ) throws {
        pending.request.outcome = .denied(ground, message: message)
        if let contact = pending.request.contact {
            pending.messages.append(
                OutboundMessage(
                    kind: .outcome, recipient: contact,
                    title: texts.said(to: pending.request, "message.denied.title", ["right": texts.rightName(of: pending.request)]),
                    body: texts.said(
                        to: pending.request,
                        "message.denied.body",
                        ["message": message, "ground": ground.code, "explanation": texts.ground(ground, for: pending.request)]),
                    request: pending.request.id
                ))
        }
        try move(&pending, to: .denied, action: .requestDenied, actor: actor, details: details.merging(["ground": ground.code]) { $1 })
    }

    /// Commits the change; a lost race becomes a clear conflict, never a raw store error.
    @discardableResult
    func commit(_ pending: PendingChange) async throws -> RightRequest {
        let stored: RightRequest
        do {
            stored = try await services.ledger.commit(pending.ledgerChange(by: owner))
        } catch let conflict as LedgerConflict where conflict.holdAppeared {
            throw conflict  // the entry checks run again
        } catch let conflict as LedgerConflict {
            throw PipelineError(.conflict, conflict.description)
        } catch let exceeded as IntakeQuotaExceeded {
            throw PipelineError(.rateLimited, exceeded.description(in: policy.deadline.timeZone), retryAfter: exceeded.retryAfter)
        }
        CrashPoint.reach("commit:\(pending.audit.last?.action ?? "change")")
        return stored
    }
}
