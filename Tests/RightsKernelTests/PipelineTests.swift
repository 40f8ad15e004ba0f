import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("The kernel pipeline: intake, extension, review, operators and minimisation")
struct PipelineTests {
    let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")

    func harness(_ rights: String = "probe: {}") throws -> RightsTestHarness {
        try RightsTestHarness(modules: [ProbeRight.self], rights: rights)
    }

    func harness(on driver: LedgerDriver, _ rights: String = "probe: {}") async throws -> RightsTestHarness {
        try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: rights)
    }

    @Test(arguments: LedgerDriver.allCases) func aRightNotEnabledIsRefusedNamingTheEnabledOnes(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        do {
            _ = try await harness.pipeline.submit(RequestIntake(right: "erasure", subject: subject))
            Issue.record("accepted a right that is not enabled")
        } catch let error as PipelineError {
            #expect(error.code == .rightNotEnabled)
            #expect(error.message.contains("enabled: probe"))
        }
    }

    /// The field at fault travels as a value (the API names it in its problem), never recovered
    /// from the message's text.
    @Test func anIntakeMistakeNamesItsField() async throws {
        let harness = try await harness(on: .sqlite)
        do {
            _ = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject, requester: .agent))
            Issue.record("an agent's filing without a reference was accepted")
        } catch let error as PipelineError {
            #expect(error.code == .invalidRequest)
            #expect(error.field == "requester_reference")
            #expect(error.code.kind == .invalid && error.code.description == "invalid-request")
        }
    }

    @Test(arguments: LedgerDriver.allCases) func aNonSubjectRequesterMustGiveTheirAuthority(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        await #expect(
            throws: PipelineError(
                .invalidRequest, "requester_reference: requests filed by a requester of role agent need a reference to their authority")
        ) {
            try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject, requester: .agent))
        }
        let request = try await harness.pipeline.submit(
            RequestIntake(
                right: "probe", subject: subject, requester: .agent,
                contact: SubjectIdentity(kind: "email", value: "agent@privacy-agent.example"), requesterReference: "agent-42"))
        // The code goes to the subject, never to the agent's contact: the subject confirms.
        let sent = try await harness.outbox(for: request.id)
        #expect(sent.map(\.recipient) == [subject])
        #expect(sent.first?.body.contains("acting as your agent") == true)
    }

    @Test(arguments: LedgerDriver.allCases) func moduleIntakeValidationRejectsBeforeAnythingIsRecorded(on driver: LedgerDriver) async throws
    {
        let harness = try await harness(on: driver)
        await #expect(throws: PipelineError.self) {
            try await harness.pipeline.submit(
                RequestIntake(right: "probe", subject: subject, parameters: ["note": String(repeating: "x", count: 201)]))
        }
        #expect(try await harness.store.requests(RequestQuery()).isEmpty)
        #expect(try await harness.store.verify() == .intact(entries: 0))
    }

    @Test(arguments: LedgerDriver.allCases) func theDeadlineComesFromTheJurisdictionPolicy(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(
            on: driver, modules: [ProbeRight.self], rights: "probe: {}", policy: "deadline: { days: 10, business_days: true }")
        // The harness clock starts on Monday 2026-11-30 09:00 UTC (17:00 in Shanghai).
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        #expect(Timestamp.string(request.dueAt) == "2026-12-14T15:59:59.000Z")
    }

    @Test(arguments: LedgerDriver.allCases) func aDeadlineExtendsOnceWithAReason(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        await #expect(throws: PipelineError.self) { try await harness.pipeline.extend(request.id, reason: "  ", operator: "dpo") }
        let extended = try await harness.pipeline.extend(request.id, reason: "Records are on archived systems", operator: "dpo")
        #expect(
            extended.dueAt == harness.pipeline.deployment.settings.policy.deadline.extended(request.dueAt, receivedAt: request.receivedAt))
        #expect(extended.dueAt > request.dueAt)
        #expect(extended.extensionReason == "Records are on archived systems")
        await #expect(throws: PipelineError(.extensionRefused, "request \(request.id) was already extended once")) {
            try await harness.pipeline.extend(request.id, reason: "again", operator: "dpo")
        }
        #expect(try await harness.outbox(for: request.id).contains { $0.kind == "extension" })
        #expect(try await harness.store.entries(for: request.id).contains { $0.event.action == "deadline.extended" })
    }

    @Test(arguments: LedgerDriver.allCases) func aPolicyWithoutExtensionRefusesOne(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(
            on: driver, modules: [ProbeRight.self], rights: "probe: {}", policy: "deadline: { days: 15 }")
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        await #expect(throws: PipelineError.self) { try await harness.pipeline.extend(request.id, reason: "busy", operator: "dpo") }
    }

    @Test(arguments: LedgerDriver.allCases) func anOperatorRoutesARequestToReviewAndDeniesItWithAGround(on driver: LedgerDriver)
        async throws
    {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        _ = try await harness.pipeline.requestReview(request.id, operator: "dpo")
        let code = try #require(try await harness.latestCode(for: request.id))
        let verified = try await harness.pipeline.verify(request.id, code: code)
        #expect(verified.state == .awaitingReview)
        let denied = try await harness.pipeline.deny(request.id, ground: .seriousHarmToOthers, operator: "dpo")
        #expect(denied.state == .denied)
        #expect(denied.outcome?.ground == .seriousHarmToOthers)
        #expect(try await harness.store.entries(for: request.id).last?.event.actor == "operator:dpo")
    }

    @Test(arguments: LedgerDriver.allCases) func aRightConfiguredForReviewWaitsForApproval(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver, "probe: { review: true }")
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .awaitingReview)
        #expect(try await harness.pipeline.approve(request.id, operator: "dpo").state == .completed)
    }

    @Test(arguments: LedgerDriver.allCases) func operatorActionsOnFinishedRequestsAreRefused(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .completed)
        await #expect(throws: PipelineError.self) { try await harness.pipeline.approve(request.id, operator: "dpo") }
        await #expect(throws: PipelineError.self) { try await harness.pipeline.deny(request.id, ground: .otherLaw, operator: "dpo") }
        await #expect(throws: PipelineError.self) { try await harness.pipeline.cancel(request.id, actor: "subject") }
        await #expect(throws: PipelineError.self) { try await harness.pipeline.extend(request.id, reason: "late", operator: "dpo") }
        await #expect(throws: PipelineError.self) { try await harness.pipeline.requestReview(request.id, operator: "dpo") }
        #expect(try await harness.store.request(request.id)?.state == .completed)
    }

    @Test(arguments: LedgerDriver.allCases) func aRequestCanBeCancelledBeforeItStarts(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let code = try #require(try await harness.latestCode(for: request.id))
        #expect(try await harness.pipeline.cancel(request.id, actor: "subject").state == .cancelled)
        #expect(try await harness.latestCode(for: request.id) == nil, "the code is scrubbed once the request is final")
        await #expect(throws: PipelineError.self) { try await harness.pipeline.verify(request.id, code: code) }
    }

    @Test(arguments: LedgerDriver.allCases) func aModuleDenialIsRecordedWithItsGround(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver, "probe: { outcome: deny }")
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .impractical)
    }

    @Test func aFinishedRequestKeepsNoPersonalDataInTheLedger() async throws {
        let harness = try harness()
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject, parameters: ["note": "call me on 13800138000"]))
        #expect(request.subject == nil)
        let database = try DatabaseQueue(path: harness.directory.file("ledger.sqlite"))
        let (bodies, journal, audit) = try await database.read { db in
            (
                try String.fetchAll(db, sql: "SELECT body FROM requests"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal") ?? -1,
                try String.fetchAll(db, sql: "SELECT actor || action || details FROM audit_entries")
            )
        }
        for text in bodies + audit {
            #expect(!text.contains("li.wei"))
            #expect(!text.contains("13800138000"))
        }
        #expect(bodies.first?.contains(request.subjectKey.rawValue) == true, "the salted key stays so repetition and holds still match")
        #expect(journal == 0, "the step journal goes once the request is final")
    }

    /// Clause 5.10: requests that need excessive technical means, risk others or are impractical
    /// may be refused, always citing which.
    @Test(arguments: [DenialGround.excessiveTechnicalMeans, .riskToOthers, .impractical, .gratuitousRepetition])
    func aReviewerRefusesOnAHandlingGround(_ ground: DenialGround) async throws {
        let harness = try harness("probe: { review: true }")
        let waiting = try await harness.run(RequestIntake(right: "probe", subject: subject))
        let denied = try await harness.pipeline.deny(
            waiting.id, ground: ground, operator: "dpo", note: "We can offer the data on request in person instead.")
        #expect(denied.outcome?.ground == ground)
        let notice = try #require(try await harness.outbox(for: waiting.id).last)
        #expect(notice.body.contains(ground.code))
        #expect(
            notice.body.contains("We can offer the data on request in person instead."), "the alternative offered reaches the requester")
        #expect(notice.body.contains("complain to the supervisory authority"), "PIPL Art. 50 / GDPR Art. 12(4): the right to complain")
    }
}
