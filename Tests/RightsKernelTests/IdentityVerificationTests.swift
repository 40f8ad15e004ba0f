import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("Clause 5.10: identity is verified by one-time code before processing")
struct IdentityVerificationTests {
    let subject = SubjectIdentity(kind: "email", value: "li.wei@example.cn")

    func harness() throws -> RightsTestHarness {
        try RightsTestHarness(modules: [ProbeRight.self], rights: "probe: {}", identity: "{ code_ttl_seconds: 300, max_attempts: 3 }")
    }

    func harness(on driver: LedgerDriver) async throws -> RightsTestHarness {
        try await RightsTestHarness(
            on: driver, modules: [ProbeRight.self], rights: "probe: {}", identity: "{ code_ttl_seconds: 300, max_attempts: 3 }")
    }

    @Test func theCodeGoesToTheSubjectAndIsNotStoredInClear() async throws {
        let harness = try harness()
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .awaitingVerification)
        let message = try #require(try await harness.outbox(for: request.id).first)
        #expect(message.recipient == subject)
        let code = try #require(RightsTestHarness.code(in: message.body))
        #expect(code.count == 8, "codes are 8 digits by default")
        let stored = try await harness.store.code(for: request.id)
        #expect(stored?.hash.count == 32)
        #expect(stored?.hash != Array(code.utf8))
        // Nothing stored with the request holds the digits.
        let queue = try DatabaseQueue(path: harness.directory.file("ledger.sqlite"))
        let blobs = try await queue.read { db in
            try Data.fetchAll(db, sql: "SELECT code_salt || code_hash FROM requests WHERE code_hash IS NOT NULL")
        }
        #expect(blobs.allSatisfy { !$0.contains(Data(code.utf8)) })
    }

    @Test(arguments: LedgerDriver.allCases) func aCorrectCodeVerifiesAndTheRequestProceeds(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .completed)
        let actions = try await harness.store.entries(for: request.id).map(\.event.action)
        #expect(actions == ["request.received", "identity.challenged", "identity.verified", "processing.started", "request.completed"])
    }

    @Test(arguments: LedgerDriver.allCases) func aCodeExpires(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let code = try #require(try await harness.latestCode(for: request.id))
        harness.clock.advance(by: 301)
        await #expect(throws: PipelineError.self) { try await harness.pipeline.verify(request.id, code: code) }
        #expect(try await harness.store.request(request.id)?.state == .awaitingVerification)
        // A fresh code works.
        try await harness.pipeline.resendChallenge(request.id)
        let fresh = try #require(try await harness.latestCode(for: request.id))
        #expect(try await harness.pipeline.verify(request.id, code: fresh).state == .completed)
    }

    @Test(arguments: LedgerDriver.allCases) func wrongCodesLockAfterTheAttemptLimit(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let code = try #require(try await harness.latestCode(for: request.id))
        let wrong = code == "00000000" ? "11111111" : "00000000"
        for remaining in [2, 1] {
            do {
                _ = try await harness.pipeline.verify(request.id, code: wrong)
                Issue.record("a wrong code verified")
            } catch let error as PipelineError {
                #expect(error.message == "wrong code; \(remaining) attempt(s) left")
            }
        }
        await #expect(throws: PipelineError.self) { try await harness.pipeline.verify(request.id, code: wrong) }
        let locked = try await harness.store.request(request.id)
        #expect(locked?.state == .denied)
        #expect(locked?.outcome?.ground == .identityNotVerified)
        // Even the right code no longer works.
        await #expect(throws: PipelineError.self) { try await harness.pipeline.verify(request.id, code: code) }
    }

    @Test(arguments: LedgerDriver.allCases) func theVerifierLocksAtTheLimitEvenWithoutThePipeline(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let code = try #require(try await harness.latestCode(for: request.id))
        let wrong = code == "00000000" ? "11111111" : "00000000"
        let identity = harness.services.identity
        #expect(
            try await identity.verify(try await harness.underVerification(request), response: wrong)
                == .rejected(remaining: 2, guessesLeft: 9))
        #expect(
            try await identity.verify(try await harness.underVerification(request), response: wrong)
                == .rejected(remaining: 1, guessesLeft: 8))
        #expect(try await identity.verify(try await harness.underVerification(request), response: wrong) == .locked(guessesLeft: 7))
        #expect(try await identity.verify(try await harness.underVerification(request), response: code) == .locked(guessesLeft: nil))
    }

    @Test(arguments: LedgerDriver.allCases) func aCodeVerifiesOnce(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        let code = try #require(try await harness.latestCode(for: request.id))
        #expect(try await harness.services.identity.verify(try await harness.underVerification(request), response: code) == .verified)
        #expect(try await harness.services.identity.verify(try await harness.underVerification(request), response: code) == .alreadyUsed)
    }

    @Test(arguments: LedgerDriver.allCases) func verificationCanBeSwitchedOffForARight(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: { verification: none }")
        let request = try await harness.pipeline.submit(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .completed)
        #expect(try await harness.outbox(for: request.id).allSatisfy { $0.kind != "verification-code" })
    }

    @Test(arguments: LedgerDriver.allCases) func strongVerificationNeedsAnOperatorAfterTheCode(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness(on: driver, modules: [ProbeRight.self], rights: "probe: { verification: strong }")
        let request = try await harness.run(RequestIntake(right: "probe", subject: subject))
        #expect(request.state == .awaitingReview)
        #expect(try await harness.pipeline.approve(request.id, operator: "id-desk").state == .completed)
    }
}
