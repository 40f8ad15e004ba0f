import Foundation
import Logging

/// The kernel's pipeline, run for every request whatever its right:
/// intake validation → deadline → identity verification → exception checks (holds, repetition,
/// manual review) → module → outcome → notification.
///
/// Safe under concurrency: each state change commits with its audit entries and messages in
/// one ledger transaction, only over the version it was made from; the module's work runs
/// under a claim (a lease) that other processes respect, and is journalled per step, so
/// ``resumeInterrupted()`` finishes a request whose process died, exactly once.
public struct RequestPipeline: Sendable {
    public let deployment: Deployment
    /// Who this pipeline is when it claims a request's work.
    public let owner: ClaimOwner
    /// What this pipeline is carrying out now, shared by its copies.
    let inProgress = WorkInProgress()
    var services: Services { deployment.services }
    /// The deployment's wording of every message to a subject.
    var texts: TextCatalogue { services.texts }
    var policy: JurisdictionPolicy { deployment.settings.policy }
    var processing: DeploymentSettings.ProcessingSettings { deployment.settings.processing }

    public init(deployment: Deployment, owner: ClaimOwner = .thisProcess()) {
        self.deployment = deployment
        self.owner = owner
    }

    // MARK: Intake

    /// Accepts a new request: validates it, sets its deadline and issues the identity challenge,
    /// all in one commit.
    public func submit(_ filed: RequestIntake) async throws -> RightRequest {
        guard let right = deployment.rights[filed.right] else {
            let enabled = deployment.rights.keys.sorted().joined(separator: ", ")
            throw PipelineError(.rightNotEnabled, "the right '\(filed.right)' is not enabled in this deployment; enabled: \(enabled)")
        }
        let moduleType = type(of: right.module)
        guard moduleType.acceptedRequesters.contains(filed.requester) else {
            throw PipelineError(
                .requesterNotAccepted,
                "'\(filed.right)' requests cannot be filed by the requester role \(filed.requester.rawValue); accepted: \(moduleType.acceptedRequesters.map(\.rawValue).sorted().joined(separator: ", "))"
            )
        }
        if filed.requester != .subject, (filed.requesterReference ?? "").isEmpty {
            throw PipelineError(
                IntakeError(
                    field: "requester_reference",
                    "requests filed by a requester of role \(filed.requester.rawValue) need a reference to their authority"))
        }
        let intake: RequestIntake
        do {
            intake = try checked(filed, module: moduleType)
        } catch {
            throw PipelineError(error)
        }
        let now = services.clock.now
        let request = RightRequest(
            id: intake.id ?? RequestID(),
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
            throw PipelineError(error)
        }
        let person = try await person(of: request)
        var pending = PendingChange(request, replacesStored: false)
        pending.request.dueAt = right.module.dueDate(for: request, policyDue: request.dueAt)
        pending.request.personKey = person.key
        pending.request.language = intake.language
        pending.request.channel = intake.channel
        pending.quotas = filingQuotas(pending.request)
        pending.record(
            event(
                request, .requestReceived, actor: requesterActor(request),
                details: [
                    "right": request.right, "requester": request.requester.rawValue, "due": Timestamp.string(pending.request.dueAt),
                ]))
        logger(for: request.id).info("request received", metadata: ["right": "\(request.right)"])

        if right.settings.verification == .none {
            pending.confirmsPerson = true
            acknowledgeReceipt(&pending)
            pending.request.verification = VerificationLevel.none
            try move(&pending, to: .verified, action: .identityNotRequired)
            return try await enterWorkAndCarryOut(pending, right: right)
        }
        if let channel = intake.channel, channel.attestsIdentity, right.settings.verification != .strong {
            // The client verified the person and vouches for them; a right that needs strong
            // verification still asks the person.
            pending.confirmsPerson = true
            acknowledgeReceipt(&pending)
            pending.request.verification = .code
            try move(
                &pending, to: .verified, action: .identityAttested,
                details: ["standard": channel.standard.rawValue, "client": channel.client])
            return try await enterWorkAndCarryOut(pending, right: right)
        }
        if request.requester.speaksForAbsentSubject {
            // The subject cannot answer a code (a minor, the deceased): the requester confirms
            // their own contact with one, and only then does an operator review their proofs. A
            // filing nobody confirms never reaches the review queue; it closes like a subject's.
            guard let contact = intake.contact else {
                throw PipelineError(
                    IntakeError(
                        field: "contact",
                        "a \(request.requester.rawValue) gives their own contact, which a code confirms before their proofs are reviewed"))
            }
            acknowledgeReceipt(&pending)
            let challenge = try services.identity.challenge(pending.request, to: contact, notice: nil, texts: texts)
            pending.code = challenge.code
            pending.quotas += codeQuotas(to: contact)
            if let message = challenge.message { pending.messages.append(message) }
            try move(
                &pending, to: .awaitingVerification, action: .identityChallenged,
                details: ["level": VerificationLevel.code.rawValue, "requester": request.requester.rawValue])
            return try await commit(pending)
        }
        let recipient = person.recipient
        if request.requester == .subject, let recipient { pending.request.contact = recipient }
        acknowledgeReceipt(&pending)
        let challenge = try services.identity.challenge(
            pending.request, to: recipient, notice: texts.notice(for: request), texts: texts)
        pending.code = challenge.code
        if let recipient { pending.quotas += codeQuotas(to: recipient) }
        if let message = challenge.message { pending.messages.append(message) }
        try move(
            &pending, to: .awaitingVerification, action: .identityChallenged, details: ["level": right.settings.verification.rawValue])
        return try await commit(pending)
    }

    /// Confirms receipt where the policy requires it (CCPA Regulations §7021), in the commit
    /// that records the request: what was received, when the answer is due and how the identity
    /// is checked. The audit entry records the date it was due by.
    func acknowledgeReceipt(_ pending: inout PendingChange) {
        guard let acknowledgement = policy.acknowledgement else { return }
        let request = pending.request
        let zone = policy.deadline.timeZone
        let dueBy = policy.deadline.endOfBusinessDays(acknowledgement.businessDays, after: request.receivedAt)
        pending.record(
            event(
                request, .requestAcknowledged, actor: .system,
                details: ["due": Timestamp.string(dueBy), "sent": request.contact == nil ? "no contact" : "yes"]))
        guard let contact = request.contact else { return }
        pending.messages.append(
            OutboundMessage(
                kind: .acknowledgement, recipient: contact,
                title: texts.said(to: request, "message.acknowledgement.title", ["right": texts.rightName(of: request)]),
                body: texts.said(
                    to: request,
                    "message.acknowledgement.body",
                    [
                        "right": texts.rightName(of: request), "received": texts.day(request.receivedAt, for: request, in: zone),
                        "id": "\(request.id)",
                        "due": texts.day(request.dueAt, for: request, in: zone),
                    ]),
                request: request.id))
    }

    /// Where the subject's code goes: the subject's own identity when it is a contact (the
    /// address the request names; answering proves control of it), else a contact the data map
    /// holds for the subject; never an address the requester supplies, except a guardian's or
    /// close relative's own, confirmed before their proofs are reviewed. Nil when the subject has
    /// no contact on file: a code is still issued, so nothing reveals whether they are a customer.
    func verificationRecipient(for request: RightRequest) async throws -> SubjectIdentity? {
        // One who speaks for a subject who cannot answer confirms their own contact instead.
        if request.requester.speaksForAbsentSubject { return request.contact }
        guard let subject = request.subject else { return nil }
        if subject.isContact { return subject }
        return try await services.data.contacts(of: [subject]).first(where: \.isReachable)
    }

    /// Who the subject is as a person: where their code goes, and the key their filing quota and
    /// guessing budget count under. Their email, phone and user id resolve through the data map
    /// to the same contacts, so the least of those names the person whichever identity was
    /// filed; a subject the map does not know is a person of their own.
    func person(of request: RightRequest) async throws -> (recipient: SubjectIdentity?, key: SubjectKey) {
        guard let subject = request.subject else { return (nil, request.subjectKey) }
        let contacts = try await services.data.contacts(of: [subject]).filter(\.isReachable)
        let recipient = subject.isContact ? subject : contacts.first
        guard let least = contacts.min(by: { "\($0.kind):\($0.value)" < "\($1.kind):\($1.value)" }) else {
            return (recipient, request.subjectKey)
        }
        return (recipient, services.ledger.subjectKey(for: least))
    }

    /// A filing is refused once the person has confirmed `filings` in the window: only filings
    /// they answered count, so nobody else can use up their allowance. When someone else files,
    /// it counts against the requester's contact too.
    func filingQuotas(_ request: RightRequest) -> [IntakeQuota] {
        let limits = deployment.settings.intake
        var quotas = [
            IntakeQuota(key: request.quotaKey, action: .filing, limit: limits.filings, window: limits.window, counting: .confirmation)
        ]
        if request.requester != .subject, let contact = request.contact {
            quotas.append(
                IntakeQuota(key: services.ledger.subjectKey(for: contact), action: .filing, limit: limits.filings, window: limits.window))
        }
        return quotas
    }

    /// Caps the codes one contact is sent in the window whoever files, so nobody can make the
    /// organisation flood a person's mailbox or phone; a phone number's block (its first
    /// digits) has a cap of its own, so texts to a run of premium-rate numbers stop too.
    func codeQuotas(to recipient: SubjectIdentity) -> [IntakeQuota] {
        let limits = deployment.settings.intake
        var quotas = [
            IntakeQuota(
                key: services.ledger.subjectKey(for: recipient), action: .codeSent, limit: limits.codesPerContact, window: limits.window)
        ]
        if recipient.kind == "phone" {
            let digits = DeploymentSettings.IntakeLimits.phoneBlockDigits
            let block = SubjectIdentity(kind: "phone-block", value: String(recipient.value.prefix(digits + 1)))
            quotas.append(
                IntakeQuota(
                    key: services.ledger.subjectKey(for: block), action: .codeSent, limit: limits.codesPerPhoneBlock, window: limits.window)
            )
        }
        return quotas
    }

    // MARK: Verification

    /// Checks a one-time code; on success the request continues through the pipeline. Of many
    /// concurrent right answers exactly one continues; the others are told it is already
    /// verified.
    public func verify(_ id: RequestID, code: String) async throws -> RightRequest {
        // The request, its code and its subject's holds in one read: the check and the move
        // into work need nothing more.
        guard let read = try await services.ledger.requestUnderVerification(id, at: services.clock.now) else {
            throw PipelineError(.requestNotFound, "no request \(id)")
        }
        let request = read.request
        guard request.state == .awaitingVerification else { throw alreadyPastVerification(request) }
        switch try await services.identity.verify(read, response: code) {
        case .verified:
            CrashPoint.reach("verify:code-consumed")
            return try await continueVerified(request, holds: read.holds)
        case .locked(let guessesLeft):
            try await denyLockedOut(id, budgetSpent: guessesLeft == 0)
            throw PipelineError(.verificationFailed, "too many wrong codes; request \(id) is denied")
        case .rejected(_, guessesLeft: 0):
            let retryAfter = try await denyLockedOut(id, budgetSpent: true)
            throw PipelineError(
                .rateLimited,
                "too many wrong codes for this person; request \(id) is denied and no code is accepted for them before \(Timestamp.localTime(retryAfter, in: policy.deadline.timeZone))",
                retryAfter: retryAfter)
        case .rejected(let remaining, _):
            try await services.audit.append(
                event(request, .identityRejected, actor: requesterActor(request), details: ["remaining": "\(remaining)"]))
            throw PipelineError(.verificationFailed, "wrong code; \(remaining) attempt(s) left")
        case .guessingBudgetSpent(let retryAfter):
            throw PipelineError(
                .rateLimited,
                "too many wrong codes for this person; no code is accepted for them before \(Timestamp.localTime(retryAfter, in: policy.deadline.timeZone))",
                retryAfter: retryAfter)
        case .expired:
            try await services.audit.append(event(request, .identityExpired, actor: .system))
            throw PipelineError(.verificationFailed, "the code has expired; ask for a new one with `rightskit resend`")
        case .malformed:
            throw PipelineError(
                .invalidRequest, "a verification code is \(deployment.settings.identity.digits) digits; nothing was counted")
        case .alreadyUsed:
            // The code was answered rightly before. When the request still waits, the process
            // that consumed it may have died before moving it on: this answer finishes the move,
            // which commits once whoever makes it (a live process doing the same meets a conflict).
            let now = try await load(id)
            guard now.state == .awaitingVerification else { throw alreadyPastVerification(now) }
            return try await continueVerified(now)
        case .noChallenge:
            // A concurrent response may have finished the request, dropping its code meanwhile.
            let now = try await load(id)
            guard now.state == .awaitingVerification else { throw alreadyPastVerification(now) }
            throw PipelineError(.verificationFailed, "no verification code is outstanding for request \(id)")
        }
    }

    /// Moves a request whose code was consumed into work. The code's check changed nothing in
    /// the request: the version read before it is still current, and a change made meanwhile
    /// makes the commit a conflict, told as such.
    private func continueVerified(_ request: RightRequest, holds: [Hold]? = nil) async throws -> RightRequest {
        do {
            return try await recordVerification(of: request, actor: requesterActor(request), holds: holds)
        } catch let error as PipelineError where error.code == .conflict {
            let now = try await load(request.id)
            if now.state != .awaitingVerification { throw alreadyPastVerification(now) }
            throw error
        }
    }

    /// Denies a request whose code was answered wrongly too often. When the answer also spent
    /// the person's guessing budget, the person is told once, at their own contact, that no code
    /// is accepted for them until the window passes (someone may be acting in their name), and
    /// operators see it in the audit trail. Returns when codes are accepted again at the latest.
    @discardableResult
    private func denyLockedOut(_ id: RequestID, budgetSpent: Bool) async throws -> Date {
        var pending = PendingChange(try await load(id))
        let request = pending.request
        guard request.state == .awaitingVerification else { throw alreadyPastVerification(request) }
        let identity = deployment.settings.identity
        let until = services.clock.now.addingTimeInterval(identity.guessingWindow)
        pending.record(event(request, .identityLocked, actor: .system))
        if budgetSpent {
            pending.record(
                event(
                    request, .identityGuessingBudgetSpent, actor: .system,
                    details: ["failures": "\(identity.failuresPerWindow)", "until": Timestamp.string(until)]))
            if let contact = try await verificationRecipient(for: request) {
                pending.messages.append(
                    OutboundMessage(
                        kind: .guessingAlert, recipient: contact, title: texts.said(to: request, "message.guessing.title"),
                        body: texts.said(
                            to: request,
                            "message.guessing.body",
                            [
                                "failures": "\(identity.failuresPerWindow)",
                                "until": Timestamp.localTime(until, in: policy.deadline.timeZone),
                            ]),
                        request: request.id))
            }
        }
        try deny(&pending, ground: .identityNotVerified, message: "Too many wrong verification codes.")
        try await commit(pending)
        return until
    }

    /// Issues a fresh code for a request still awaiting verification (the old one stops working;
    /// the attempts already spent still count).
    public func resendChallenge(_ id: RequestID) async throws {
        let request = try await load(id)
        guard request.state == .awaitingVerification else { throw alreadyPastVerification(request) }
        let recipient = try await verificationRecipient(for: request)
        let challenge = try services.identity.challenge(
            request, to: recipient, notice: texts.notice(for: request), texts: texts)
        var pending = PendingChange(request)
        let limits = deployment.settings.intake
        pending.quotas = [
            IntakeQuota(
                key: request.quotaKey, action: .resend, limit: limits.resends, window: limits.window, cooldown: limits.resendCooldown)
        ]
        if let recipient { pending.quotas += codeQuotas(to: recipient) }
        pending.code = challenge.code
        pending.request.updatedAt = services.clock.now
        if let message = challenge.message { pending.messages.append(message) }
        pending.record(event(request, .identityChallengedAgain, actor: requesterActor(request)))
        try await commit(pending)
    }

    /// Records a passed challenge and takes the request into work: the commit that moves it
    /// out of `awaitingVerification` is conditional, so only one process does this.
    /// `holds`: those on the subject, when they were read with the request just before.
    func recordVerification(of request: RightRequest, actor: AuditActor, holds: [Hold]? = nil) async throws -> RightRequest {
        guard request.state == .awaitingVerification else { throw alreadyPastVerification(request) }
        let right = try enabledRight(request.right)
        var pending = PendingChange(request)
        pending.request.verification = .code
        pending.confirmsPerson = true
        try move(&pending, to: .verified, action: .identityVerified, actor: actor, details: ["level": VerificationLevel.code.rawValue])
        return try await enterWorkAndCarryOut(pending, right: right, holds: holds)
    }

    private func alreadyPastVerification(_ request: RightRequest) -> PipelineError {
        switch request.state {
        case .awaitingVerification:
            PipelineError(.conflict, "request \(request.id) is being verified by another response; nothing was changed")
        case .verified, .inProgress:
            PipelineError(.conflict, "request \(request.id) is already verified and in progress")
        default:
            PipelineError(.conflict, "request \(request.id) is already past verification (it is \(request.state.rawValue))")
        }
    }

    // MARK: Helpers

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

    func event(_ request: RightRequest, _ action: AuditAction, actor: AuditActor, details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(
            actor: actor, action: action, request: request.id, details: details.merging(["subject": request.subjectKey.rawValue]) { $1 })
    }

    func requesterActor(_ request: RightRequest) -> AuditActor {
        .requester(request.requester, subject: request.subjectKey)
    }

    func logger(for id: RequestID) -> Logger {
        var logger = services.logger
        logger[metadataKey: "request"] = "\(id)"
        return logger
    }
}
