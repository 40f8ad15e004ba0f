import Foundation

extension RequestPipeline {
    /// Approves a request waiting for a fee (the fee is settled) or a review (the operator
    /// checked it), then runs the entry checks again: a settled fee on a right that needs a
    /// review still waits for the review, and a hold placed meanwhile still denies.
    public func approve(_ id: RequestID, operator name: String) async throws -> RightRequest {
        let request = try await load(id)
        let right = try enabledRight(request.right)
        var pending = PendingChange(request)
        switch request.state {
        case .awaitingFee:
            pending.request.feeAccepted = true
            pending.request.resumeAt = nil
            pending.record(event(request, .feeSettled, actor: .operator(name)))
        case .awaitingReview:
            pending.request.reviewApproved = true
            if right.settings.verification == .strong || request.requester.speaksForAbsentSubject {
                // The reviewer's check of identity documents (or, for a subject who cannot answer,
                // of the requester's proofs) is the second factor of `strong`.
                pending.request.verification = .strong
            }
            pending.record(
                event(
                    request, .reviewApproved, actor: .operator(name),
                    details: ["level": (pending.request.verification ?? .none).rawValue]))
        default:
            throw PipelineError(.illegalTransition, "request \(id) is not waiting for approval (it is \(request.state.rawValue))")
        }
        return try await enterWorkAndCarryOut(pending, right: right)
    }

    /// Denies a request, citing its ground.
    public func deny(_ id: RequestID, ground: DenialGround, operator name: String, note: String? = nil) async throws -> RightRequest {
        var pending = PendingChange(try await load(id))
        try deny(&pending, ground: ground, message: note ?? ground.explanation, actor: .operator(name))
        return try await commit(pending)
    }

    /// Routes a request that has not started to an operator's review.
    public func requestReview(_ id: RequestID, operator name: String) async throws -> RightRequest {
        let request = try await load(id)
        guard !request.state.isFinal, request.state != .inProgress, request.state != .needsAttention else {
            throw PipelineError(.illegalTransition, "request \(id) can no longer be routed to review (it is \(request.state.rawValue))")
        }
        var pending = PendingChange(request)
        pending.request.reviewRequested = true
        pending.request.reviewApproved = false
        if request.state.allows(.awaitingReview) {
            try move(&pending, to: .awaitingReview, action: .reviewRequested, actor: .operator(name))
        } else {
            pending.request.updatedAt = services.clock.now
            pending.record(event(request, .reviewRequested, actor: .operator(name)))
        }
        return try await commit(pending)
    }

    /// Extends the deadline once, recording the reason and telling the requester in one commit.
    public func extend(_ id: RequestID, reason: String, operator name: String) async throws -> RightRequest {
        let request = try await load(id)
        guard !request.state.isFinal else { throw PipelineError(.extensionRefused, "request \(id) is already \(request.state.rawValue)") }
        guard request.extensionReason == nil else { throw PipelineError(.extensionRefused, "request \(id) was already extended once") }
        guard policy.deadline.allowsExtension else {
            throw PipelineError(.extensionRefused, "this deployment's policy allows no extension")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw PipelineError(.extensionRefused, "an extension needs a reason")
        }
        var pending = PendingChange(request)
        pending.request.extensionReason = reason
        pending.request.dueAt = policy.deadline.extended(request.dueAt, receivedAt: request.receivedAt)
        pending.request.updatedAt = services.clock.now
        pending.record(
            event(request, .deadlineExtended, actor: .operator(name), details: ["due": Timestamp.string(pending.request.dueAt)]))
        if let contact = request.contact {
            pending.messages.append(
                OutboundMessage(
                    kind: .extension, recipient: contact,
                    title: texts.said(to: request, "message.extension.title", ["right": texts.rightName(of: request)]),
                    body: texts.said(
                        to: request,
                        "message.extension.body",
                        ["due": texts.day(pending.request.dueAt, for: request, in: policy.deadline.timeZone), "reason": reason]),
                    request: id
                ))
        }
        tellChannel(&pending)
        return try await commit(pending)
    }

    /// Cancels a request that has not started.
    public func cancel(_ id: RequestID, actor: AuditActor) async throws -> RightRequest {
        var pending = PendingChange(try await load(id))
        try move(&pending, to: .cancelled, action: .requestCancelled, actor: actor)
        return try await commit(pending)
    }

    /// Retries a request whose work failed too often, once an operator has dealt with the cause.
    public func retry(_ id: RequestID, operator name: String) async throws -> RightRequest {
        let request = try await load(id)
        guard request.state == .needsAttention else {
            throw PipelineError(.illegalTransition, "request \(id) is not waiting for attention (it is \(request.state.rawValue))")
        }
        let right = try enabledRight(request.right)
        var pending = PendingChange(request)
        pending.request.failures = 0
        try move(&pending, to: .inProgress, action: .processingRetried, actor: .operator(name))
        pending.claim = .take(owner, expires: services.clock.now.addingTimeInterval(processing.lease))
        return try await continueWork(try await commit(pending), right: right)
    }

    func repetitionDecision(for request: RightRequest) async throws -> RepetitionDecision {
        guard let repetition = policy.repetition else { return .free }
        let earlier = try await services.ledger.countRequests(
            subject: request.subjectKey,
            right: request.right,
            receivedSince: repetition.windowStart(endingAt: request.receivedAt),
            excluding: request.id,
            answeredOnly: repetition.counted == .disclosures
        )
        return repetition.decision(earlierInWindow: earlier)
    }
}
