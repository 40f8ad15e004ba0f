import Foundation

extension RequestPipeline {
    /// Clause 5.10: beyond the free allowance a cost fee is quoted. The requester is told the
    /// amount, how to accept or decline, and until when; the quote lapses after
    /// `policy.repeat.fee.valid_days` and the request is then cancelled.
    func quoteFee(_ pending: inout PendingChange, _ quote: FeeQuote, finding: String? = nil) {
        let days = policy.repetition?.feeValidDays ?? 14
        let until = policy.deadline.endOfDay(CalendarPeriod.days(days).added(to: services.clock.now, in: policy.deadline.timeZone))
        pending.request.feeQuote = quote
        pending.request.resumeAt = until
        guard let contact = pending.request.contact else { return }
        let id = pending.request.id
        pending.messages.append(
            OutboundMessage(
                kind: .feeQuote, recipient: contact,
                title: texts.said(to: pending.request, "message.fee.title", ["right": texts.rightName(of: pending.request)]),
                body: texts.said(
                    to: pending.request,
                    "message.fee.body",
                    [
                        "lead": finding.map { texts.said(to: pending.request, "message.fee.finding", ["finding": $0]) }
                            ?? texts.said(to: pending.request, "message.fee.free"),
                        "amount": "\(quote.amount)", "currency": quote.currency, "id": "\(id)",
                        "until": texts.day(until, for: pending.request, in: policy.deadline.timeZone),
                    ]),
                request: id
            ))
    }

    /// GDPR Art. 12(5): an operator reviewing a request finds it manifestly unfounded or
    /// excessive and charges the deployment's fee, telling the requester why; the requester
    /// accepts or declines it as any quote. (To refuse instead, deny citing
    /// `manifestly-unfounded`.)
    public func chargeFee(_ id: RequestID, operator name: String, finding: String) async throws -> RightRequest {
        guard !finding.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw PipelineError(.invalidRequest, "a charge states the finding the requester is told")
        }
        let request = try await load(id)
        guard request.state == .awaitingReview else {
            throw PipelineError(.illegalTransition, "request \(id) is not waiting for a review (it is \(request.state.rawValue))")
        }
        guard let fee = policy.repetition?.fee else {
            throw PipelineError(.invalidRequest, "this deployment sets no fee (policy.repeat.fee)")
        }
        var pending = PendingChange(request)
        quoteFee(&pending, fee, finding: finding)
        try move(
            &pending, to: .awaitingFee, action: .feeCharged, actor: .operator(name),
            details: ["amount": "\(fee.amount)", "currency": fee.currency, "basis": "manifestly unfounded or excessive"])
        return try await commit(pending)
    }

    /// The requester accepts the quoted fee: the request continues through the entry checks
    /// (a review the right requires still comes first).
    public func acceptFee(_ id: RequestID, actor: AuditActor) async throws -> RightRequest {
        let request = try await loadQuoted(id, toBe: "accept")
        let right = try enabledRight(request.right)
        var pending = PendingChange(request)
        pending.request.feeAccepted = true
        pending.request.resumeAt = nil
        pending.record(
            event(
                request, .feeAccepted, actor: actor,
                details: ["amount": "\(request.feeQuote?.amount ?? 0)", "currency": request.feeQuote?.currency ?? ""]))
        return try await enterWorkAndCarryOut(pending, right: right)
    }

    /// The requester declines the quoted fee: the request is cancelled.
    public func declineFee(_ id: RequestID, actor: AuditActor) async throws -> RightRequest {
        let request = try await loadQuoted(id, toBe: "decline")
        var pending = PendingChange(request)
        pending.request.resumeAt = nil
        try move(&pending, to: .cancelled, action: .feeDeclined, actor: actor)
        return try await commit(pending)
    }

    /// The request, which must be waiting for an answer to its fee quote.
    private func loadQuoted(_ id: RequestID, toBe answer: String) async throws -> RightRequest {
        let request = try await load(id)
        guard request.state == .awaitingFee else {
            throw PipelineError(.illegalTransition, "request \(id) has no fee to \(answer) (it is \(request.state.rawValue))")
        }
        return request
    }

    /// Cancels requests whose fee quote was neither accepted nor declined in time, telling the
    /// requester.
    func cancelLapsedQuotes() async throws -> [RightRequest] {
        let now = services.clock.now
        var cancelled: [RightRequest] = []
        for request in try await services.ledger.requests(RequestQuery(states: [.awaitingFee]))
        where (request.resumeAt ?? .distantFuture) <= now {
            var pending = PendingChange(request)
            pending.request.resumeAt = nil
            if let contact = request.contact {
                pending.messages.append(
                    OutboundMessage(
                        kind: .outcome, recipient: contact,
                        title: texts.said(to: request, "message.fee.lapsed.title", ["right": texts.rightName(of: request)]),
                        body: texts.said(to: request, "message.fee.lapsed.body"),
                        request: request.id
                    ))
            }
            try move(&pending, to: .cancelled, action: .feeLapsed)
            do {
                cancelled.append(try await commit(pending))
            } catch let error as PipelineError where error.code == .conflict {
                continue  // accepted or declined meanwhile
            }
        }
        return cancelled
    }
}
