import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// The guarantees several servers rely on, against both stores: each race is run between two
/// stores opened on one ledger (for PostgreSQL, two connection pools, as two instances have).
@Suite("The ledger under races, on SQLite and on PostgreSQL")
struct LedgerRaceTests {
    let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")

    func harness(_ driver: LedgerDriver, _ rights: String = "probe: {}") async throws -> (RightsTestHarness, any OperationsStore) {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: rights)
        return (harness, try await harness.openAnotherStore())
    }

    @Test(arguments: LedgerDriver.allCases)
    func twentyClaimantsOneWinner(on driver: LedgerDriver) async throws {
        let (harness, other) = try await harness(driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let until = harness.clock.now.addingTimeInterval(300)
        let stores: [any OperationsStore] = [harness.store, other]
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await stores[index % 2].claim(
                        request.id, in: [.awaitingVerification], as: ClaimOwner(rawValue: "worker-\(index)"), until: until) != nil
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
    }

    @Test(arguments: LedgerDriver.allCases)
    func aChangeMadeFromOneVersionCommitsOnce(on driver: LedgerDriver) async throws {
        let (harness, other) = try await harness(driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let stores: [any OperationsStore] = [harness.store, other]
        let results = await withTaskGroup(of: Result<RightRequest, any Error>.self) { group in
            for index in 0..<10 {
                group.addTask {
                    var cancelled = request
                    do {
                        try cancelled.transition(to: .cancelled, at: harness.clock.now)
                        let owner = ClaimOwner(rawValue: "operator-\(index)")
                        return .success(
                            try await stores[index % 2].commit(
                                LedgerChange(
                                    request: cancelled,
                                    audit: [
                                        AuditEvent(
                                            actor: AuditActor(rawValue: "operator-\(index)"), action: "request.cancelled",
                                            request: request.id)
                                    ],
                                    owner: owner)))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { if case .success = $0 { true } else { false } }.count == 1)
        #expect(results.allSatisfy { if case .failure(let error) = $0 { error is LedgerConflict } else { true } })
        #expect(try await harness.store.entries(for: request.id).filter { $0.event.action == "request.cancelled" }.count == 1)
    }

    @Test(arguments: LedgerDriver.allCases)
    func tenAnswersWithTheRightCodeVerifyOnce(on driver: LedgerDriver) async throws {
        let (harness, _) = try await harness(driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let code = try #require(try await harness.latestCode(for: request.id))
        let verified = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 { group.addTask { (try? await harness.pipeline.verify(request.id, code: code)) != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(verified == 1)
        #expect(try await harness.store.request(request.id)?.state == .completed)
        #expect(try await harness.outbox(for: request.id).filter { $0.kind == "outcome" }.count == 1)
    }

    @Test(arguments: LedgerDriver.allCases)
    func fiftyAppendsFromTwoStoresMakeOneChain(on driver: LedgerDriver) async throws {
        let (harness, other) = try await harness(driver)
        let stores: [any OperationsStore] = [harness.store, other]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await stores[index % 2].append(AuditEvent(actor: "system", action: AuditAction(rawValue: "race.\(index)")))
                }
            }
            try await group.waitForAll()
        }
        let chain = try await harness.store.auditChain()
        #expect(chain.entries.count == 50)
        #expect(chain.entries.map(\.sequence) == Array(1...50))
        #expect(try await other.verify().isIntact)
    }

    @Test(arguments: LedgerDriver.allCases)
    func fourDeliverersSendEachMessageOnce(on driver: LedgerDriver) async throws {
        let (harness, other) = try await harness(driver)
        for index in 0..<30 {
            try await harness.store.send(
                OutboundMessage(
                    kind: "notice", recipient: SubjectIdentity(kind: "email", value: "s\(index)@example.cn"), title: "t", body: "b",
                    request: nil))
        }
        let delivery = CountingDelivery()
        let stores: [any OperationsStore] = [harness.store, other]
        let delivered = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<4 { group.addTask { try await stores[index % 2].deliver(via: delivery, lease: 60).delivered } }
            return try await group.reduce(0, +)
        }
        #expect(delivered == 30)
        #expect(await delivery.references.count == 30)
        #expect(Set(await delivery.references).count == 30, "no message went twice")
        let kept = try await harness.store.outbox()
        #expect(kept.allSatisfy { $0.minimised && $0.message.body.isEmpty && !$0.message.recipient.value.contains("@") })
    }

    @Test(arguments: LedgerDriver.allCases)
    func aDeadlineNoticeGoesOnceWhoeverSendsIt(on driver: LedgerDriver) async throws {
        let (harness, other) = try await harness(driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let stores: [any OperationsStore] = [harness.store, other]
        let message = OutboundMessage(
            kind: "deadline-reminder", recipient: SubjectIdentity(kind: "operator", value: "queue"), title: "due", body: "due soon",
            request: request.id)
        let sent = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                group.addTask {
                    try await stores[index % 2].sendOnce(
                        .reminder, about: request.id, message: message,
                        event: AuditEvent(actor: "system", action: "deadline.reminder", request: request.id))
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(sent == 1)
        #expect(try await other.sent(.reminder, about: request.id))
        #expect(try await harness.outbox(for: request.id).filter { $0.kind == "deadline-reminder" }.count == 1)
    }

    @Test(arguments: LedgerDriver.allCases)
    func thirtyConfirmedFilingsAtOnceTakeTwentyPlaces(on driver: LedgerDriver) async throws {
        // A right that needs no code: each filing is confirmed as it is filed, so each counts
        // against the person's allowance in the commit that checks it.
        let (harness, _) = try await harness(driver, "probe: { verification: none }")
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<30 {
                group.addTask { (try? await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(accepted == 20, "services.intake.filings defaults to 20 confirmed filings in the window")
        #expect(try await harness.store.requests(RequestQuery()).count == 20)
    }

    @Test(arguments: LedgerDriver.allCases)
    func aNameHasOneLiveTokenAndTokensAreAudited(on driver: LedgerDriver) async throws {
        let (harness, other) = try await harness(driver)
        let (token, secret) = try await harness.store.createToken(name: "li.ops", role: .reviewer)
        await #expect(throws: OperatorTokenError.self) { try await other.createToken(name: "li.ops", role: .operator) }
        #expect(try await other.token(secret: secret)?.id == token.id)
        #expect(try await other.revokeToken(name: "li.ops"))
        #expect(try await harness.store.token(secret: secret) == nil)
        let entries = try await harness.store.auditChain().entries
        #expect(entries.map(\.event.action) == ["token.created", "token.revoked"])
        #expect(entries.allSatisfy { !$0.event.details.values.contains(secret) })
    }

    @Test(arguments: LedgerDriver.allCases)
    func finishedRequestsAreFoundForRemovalOnceEach(on driver: LedgerDriver) async throws {
        let (harness, other) = try await harness(driver)
        let done = try await harness.run(RequestIntake(right: "probe", subject: subject))
        let open = try await harness.pipeline.submit(
            RequestIntake(right: "probe", subject: SubjectIdentity(kind: "email", value: "open@example.cn")))
        harness.clock.advance(days: 31)
        let due = try await other.responsesToRemove(finalBefore: harness.clock.now.addingTimeInterval(-30 * 86_400), limit: 10)
        #expect(due.map(\.id) == [done.id])
        #expect(!due.contains { $0.id == open.id })
        try await other.markResponsesRemoved(done.id)
        #expect(try await harness.store.responsesToRemove(finalBefore: harness.clock.now, limit: 10).isEmpty)
    }
}

/// Records the references it was handed.
actor CountingDelivery: MessageDelivery {
    var references: [Int64] = []

    func deliver(_ message: OutboundMessage, reference: Int64) async throws {
        references.append(reference)
    }
}
