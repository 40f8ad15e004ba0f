import Foundation
import HTTPTypes
import Logging
import RightsKernel
import RightsStorage

/// The admin endpoints, each open to the roles it names.
extension RightsAPI {
    /// The caller's token when its role is one of `roles`; 403 otherwise (the authenticator has
    /// already answered 401 to a missing or unknown token).
    func require(_ roles: Set<OperatorRole>) throws -> OperatorToken {
        guard let token = Caller.current.token else {
            throw APIProblem(.unauthorized, "token_required", "this endpoint needs Authorization: Bearer <token> (rightskit token create)")
        }
        guard roles.contains(token.role) else { throw APIProblem.forbidden(token.role.rawValue) }
        return token
    }

    func listRequests(_ input: Operations.ListRequests.Input) async throws -> Operations.ListRequests.Output {
        let token = try require([.operator, .auditor])
        var query = RequestQuery(right: input.query.right)
        if let state = input.query.state, let parsed = RequestState(rawValue: state.rawValue) { query.states = [parsed] }
        if let text = input.query.dueBefore {
            guard let due = Timestamp.date(text, localTo: deployment.services.timeZone) else {
                throw APIProblem.invalid("dueBefore", "dueBefore expects yyyy-MM-dd (a local date) or an RFC 3339 time")
            }
            query.dueBefore = due
        }
        let now = now
        switch input.query.overdue {
        case true?:
            query.dueBefore = min(query.dueBefore ?? now, now)
            query.states = query.states.isEmpty ? Set(RequestState.allCases.filter { !$0.isFinal }) : query.states.filter { !$0.isFinal }
        case false?: query.notOverdueAt = now
        case nil: break
        }
        // One page, read one past its end to know whether another follows.
        let limit = try Self.pageLimit(input.query.limit)
        query.limit = limit + 1
        if let text = input.query.cursor {
            guard let cursor = RequestCursor(text: text) else {
                throw APIProblem.invalid("cursor", "cursor expects the next of a previous page")
            }
            query.after = cursor
        }
        var requests = try await store.requests(query)
        let more = requests.count > limit
        requests = Array(requests.prefix(limit))
        let views = requests.map { Self.admin($0, personalData: token.role == .operator, now: now) }
        let next = more ? requests.last.map { RequestCursor(after: $0.id).text } : nil
        return .ok(.init(body: .json(.init(requests: views, next: next))))
    }

    func inspectRequest(_ input: Operations.InspectRequest.Input) async throws -> Operations.InspectRequest.Output {
        let token = try require([.operator, .reviewer, .auditor])
        let request = try await adminRequest(input.path.id)
        let personal = token.role != .auditor
        let audit = try await store.entries(for: request.id).map { Self.audit($0, personalData: personal) }
        return .ok(.init(body: .json(.init(request: Self.admin(request, personalData: personal, now: now), audit: audit))))
    }

    func approveRequest(_ input: Operations.ApproveRequest.Input) async throws -> Operations.ApproveRequest.Output {
        let token = try require([.operator, .reviewer])
        let id = try await adminRequest(input.path.id).id
        let request = try await carriedOn(id) { try await pipeline.approve(id, operator: token.name) }
        return .ok(.init(body: .json(Self.admin(request, personalData: true, now: now))))
    }

    func denyRequest(_ input: Operations.DenyRequest.Input) async throws -> Operations.DenyRequest.Output {
        let token = try require([.operator, .reviewer])
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        guard let ground = pipeline.deployment.denialGround(body.ground) else {
            throw APIProblem.invalid(
                "ground", "ground must be one of \(pipeline.deployment.denialGrounds.map(\.code).joined(separator: ", "))")
        }
        if let note = body.note { try checked(note, field: "note", maxLength: 2_000) }
        let id = try await adminRequest(input.path.id).id
        let request = try await pipeline.deny(id, ground: ground, operator: token.name, note: body.note)
        return .ok(.init(body: .json(Self.admin(request, personalData: true, now: now))))
    }

    func chargeRequest(_ input: Operations.ChargeRequest.Input) async throws -> Operations.ChargeRequest.Output {
        let token = try require([.operator, .reviewer])
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        try checked(body.finding, field: "finding", maxLength: 2_000)
        guard !body.finding.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIProblem.invalid(
                "finding", "give the finding the requester is told: why the request is manifestly unfounded or excessive")
        }
        let id = try await adminRequest(input.path.id).id
        let request = try await pipeline.chargeFee(id, operator: token.name, finding: body.finding)
        return .ok(.init(body: .json(Self.admin(request, personalData: true, now: now))))
    }

    func extendRequest(_ input: Operations.ExtendRequest.Input) async throws -> Operations.ExtendRequest.Output {
        let token = try require([.operator])
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        try checked(body.reason, field: "reason", maxLength: 2_000)
        let id = try await adminRequest(input.path.id).id
        let request = try await pipeline.extend(id, reason: body.reason, operator: token.name)
        return .ok(.init(body: .json(Self.admin(request, personalData: true, now: now))))
    }

    func reviewRequest(_ input: Operations.ReviewRequest.Input) async throws -> Operations.ReviewRequest.Output {
        let token = try require([.operator, .reviewer])
        let id = try await adminRequest(input.path.id).id
        let request = try await pipeline.requestReview(id, operator: token.name)
        return .ok(.init(body: .json(Self.admin(request, personalData: true, now: now))))
    }

    func listHolds(_ input: Operations.ListHolds.Input) async throws -> Operations.ListHolds.Output {
        _ = try require([.operator])
        let now = now
        let holds = try await deployment.services.exceptions.holds().map { Self.hold($0, now: now) }
        return .ok(.init(body: .json(.init(holds: holds))))
    }

    func placeHold(_ input: Operations.PlaceHold.Input) async throws -> Operations.PlaceHold.Output {
        let token = try require([.operator])
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        guard body.subject != nil || body.category != nil else { throw APIProblem.invalid("subject", "give subject, category or both") }
        if let category = body.category, !DataCategory.isValid(category) {
            throw APIProblem.invalid("category", "category expects a dotted lowercase name such as user.financial")
        }
        guard let ground = DenialGround.exceptionGrounds.first(where: { $0.code == body.ground }) else {
            throw APIProblem.invalid("ground", "ground must be one of \(DenialGround.exceptionGrounds.map(\.code).joined(separator: ", "))")
        }
        try checked(body.authority, field: "authority", maxLength: 200)
        var expires: Date?
        if let text = body.expires {
            guard let date = Timestamp.date(text, localTo: deployment.services.timeZone) else {
                throw APIProblem.invalid("expires", "expires expects yyyy-MM-dd or an RFC 3339 time")
            }
            expires = date
        }
        var subject: SubjectKey?
        if let identity = body.subject {
            let checked = try subjectIdentity(identity, field: "subject")
            subject = deployment.services.ledger.subjectKey(for: checked)
        }
        let hold = try await deployment.services.exceptions.addHold(
            Hold(
                subject: subject, category: body.category.map { DataCategory($0) }, ground: ground,
                authority: body.authority, expiresAt: expires, createdAt: now
            ))
        Caller.current.logger.info("hold placed", metadata: ["hold": "\(hold.id ?? 0)", "by": "\(token.name)"])
        return .created(.init(body: .json(Self.hold(hold, now: now))))
    }

    func liftHold(_ input: Operations.LiftHold.Input) async throws -> Operations.LiftHold.Output {
        _ = try require([.operator])
        guard try await deployment.services.exceptions.removeHold(id: input.path.holdID, at: now) else {
            throw APIProblem(.notFound, "not_found", "no active hold \(input.path.holdID)")
        }
        return .noContent(.init())
    }

    func announceDiscontinuation(_ input: Operations.AnnounceDiscontinuation.Input) async throws
        -> Operations.AnnounceDiscontinuation.Output
    {
        let token = try require([.operator])
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        // The enabled right that operators file about a product.
        guard
            let right = deployment.rights.first(where: {
                type(of: $0.value.module).subjectKinds == ["product"] && type(of: $0.value.module).acceptedRequesters == [.operator]
            })?.key
        else {
            throw APIProblem(
                .badRequest, "right_not_enabled", "no right for discontinuation notices is enabled in this deployment", field: "product")
        }
        let request = try await submitted {
            try await pipeline.submit(
                RequestIntake(
                    right: right, subject: SubjectIdentity(kind: "product", value: body.product), requester: .operator,
                    requesterReference: body.reference, parameters: ["ends": body.ends]
                ))
        }
        Caller.current.logger.info("discontinuation announced", metadata: ["request": "\(request.id)", "by": "\(token.name)"])
        return .created(.init(body: .json(Self.admin(request, personalData: true, now: now))))
    }

    func listOutbox(_ input: Operations.ListOutbox.Input) async throws -> Operations.ListOutbox.Output {
        _ = try require([.operator])
        var request: RequestID?
        if let text = input.query.request {
            guard let id = RequestID(text) else { throw APIProblem.invalid("request", "request expects a request id (a UUID)") }
            request = id
        }
        let limit = try Self.pageLimit(input.query.limit)
        var after: Int64 = 0
        if let text = input.query.cursor {
            guard let cursor = Int64(text), cursor >= 0 else {
                throw APIProblem.invalid("cursor", "cursor expects the next of a previous page")
            }
            after = cursor
        }
        let page = try await store.outbox(request: request, after: after, limit: limit + 1)
        let messages = page.prefix(limit).map {
            Components.Schemas.OutboxEntry(
                id: $0.id, kind: $0.message.kind.rawValue, recipientKind: $0.message.recipient.kind,
                request: $0.message.request?.rawValue, delivered: $0.deliveredAt != nil, minimised: $0.minimised
            )
        }
        let next = page.count > limit ? messages.last.map { "\($0.id)" } : nil
        return .ok(.init(body: .json(.init(messages: Array(messages), next: next))))
    }

    func verifyAudit(_ input: Operations.VerifyAudit.Input) async throws -> Operations.VerifyAudit.Output {
        _ = try require([.operator, .auditor])
        let report: AuditReport
        do {
            report = try await store.auditReport(settings: deployment.settings)
        } catch let error as AuditConfigurationError {
            throw APIProblem(.conflict, "audit_not_configured", error.description)
        }
        return .ok(
            .init(
                body: .json(
                    .init(intact: report.intact, result: report.result, checkpoints: report.checkpoints, simulated: report.simulated))))
    }

    func writeCheckpoint(_ input: Operations.WriteCheckpoint.Input) async throws -> Operations.WriteCheckpoint.Output {
        _ = try require([.operator])
        let signed: AuditCheckpoint?
        do {
            signed = try await store.signCheckpoint(settings: deployment.settings)
        } catch let error as AuditConfigurationError {
            throw APIProblem(.conflict, "audit_not_configured", error.description)
        } catch let refused as AuditCheckpointRefused {
            metrics.recordCheckpointRefusal(refused, logger: Caller.current.logger)
            throw APIProblem(.conflict, "audit_broken", refused.description)
        }
        guard let checkpoint = signed else { throw APIProblem(.conflict, "audit_empty", "the audit log is empty; nothing to sign") }
        return .created(.init(body: .json(.init(sequence: checkpoint.sequence, hash: checkpoint.hash))))
    }

    // MARK: Helpers

    /// The most items one page of a list may hold, so no request reads a whole table.
    static let maximumPage = 500

    /// A page's size: 100 unless asked, at most ``maximumPage``.
    static func pageLimit(_ asked: Int?) throws -> Int {
        guard let asked else { return 100 }
        guard (1...maximumPage).contains(asked) else {
            throw APIProblem.invalid("limit", "limit expects 1 to \(maximumPage)")
        }
        return asked
    }

    func adminRequest(_ id: String) async throws -> RightRequest {
        guard let requestID = RequestID(id), let request = try await store.request(requestID) else { throw APIProblem.requestNotFound }
        return request
    }

    func checked(_ text: String, field: String, maxLength: Int) throws {
        do {
            try IntakeText.check(text, field: field, maxLength: maxLength)
        } catch {
            throw APIProblem.invalid(field, error.description)
        }
    }

    func subjectIdentity(_ identity: Components.Schemas.Identity, field: String) throws -> SubjectIdentity {
        try checked(identity.kind, field: "\(field).kind", maxLength: 32)
        try checked(identity.value, field: "\(field).value", maxLength: 254)
        return SubjectIdentity(kind: identity.kind.lowercased(), value: identity.value)
    }
}
