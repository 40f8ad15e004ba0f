import AccountCancellationRight
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.5 Right to cancel an account")
struct AccountCancellationRightTests {
    func harness(on driver: LedgerDriver) async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(
            on: driver, subjects: 40, modules: [AccountCancellationRight.self], rights: "account-cancellation: {}")
    }

    func intake(_ subject: Int, confirm: String? = "irreversible") -> RequestIntake {
        RequestIntake(
            right: "account-cancellation", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)),
            parameters: confirm.map { ["confirm": $0] } ?? [:])
    }

    func database(_ harness: RightsTestHarness) throws -> DatabaseQueue {
        try DatabaseQueue(path: harness.directory.file("business.sqlite"))
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(
            module: AccountCancellationRight.self, rights: "account-cancellation: {}", parameters: ["confirm": "irreversible"], on: driver
        ).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// "You know and understand that account cancellation is irreversible."
    @Test(arguments: LedgerDriver.allCases) func cancellationNeedsAnExplicitConfirmation(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        for confirm in [nil, "yes", "ok"] {
            await #expect(throws: PipelineError.self) { try await harness.pipeline.submit(intake(13, confirm: confirm)) }
        }
    }

    /// "Special reminder: … Please back up all business information under the account"
    @Test(arguments: LedgerDriver.allCases) func theBackupWarningComesWithTheCodeBeforeConfirming(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.pipeline.submit(intake(13))
        let message = try #require(try await harness.outbox(for: request.id).first)
        #expect(message.kind == "verification-code")
        #expect(message.body.contains("Please back up all business information"))
        #expect(message.body.contains("irreversible"))
    }

    /// "delete all information about your account or anonymize … except where otherwise provided by law"
    @Test(arguments: LedgerDriver.allCases) func theAccountIsErasedAndRetainedDataRestricted(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let subject = try await #require(
            try database(harness).read { db in
                try Int.fetchOne(db, sql: "SELECT account_id FROM orders WHERE created_at >= '2024-06-01' AND account_id % 3 != 0 LIMIT 1")
            })
        let request = try await harness.run(intake(subject))
        #expect(request.state == .partiallyCompleted)
        let account = try #require(
            try database(harness).read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [subject]) })
        #expect(account["email"] as String != SampleBusinessDatabase.email(subject))
        #expect(account["phone"] as String? == nil)
        #expect(account["display_name"] as String == "Deleted user")
        // The host application reads the account as the data map declares a cancelled one.
        #expect(account["status"] as String == "cancelled")
        let neighbour = try await database(harness).read { db in
            try String.fetchOne(db, sql: "SELECT status FROM accounts WHERE id = ?", arguments: [subject + 1])
        }
        #expect(neighbour == "active")
        let left = try await database(harness).read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM login_devices WHERE account_id = ?", arguments: [subject]) ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM consents WHERE account_id = ?", arguments: [subject]) ?? -1,
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM rightskit_restrictions WHERE request_id = ?", arguments: [request.id.rawValue]) ?? -1
            )
        }
        #expect(left.0 == 0)
        #expect(left.1 == 0)
        #expect(left.2 > 0, "orders within the retention period are kept, restricted")
        #expect(request.outcome?.message.contains("cannot be restored") == true)
        #expect(request.outcome?.message.contains("Responsibilities") == true)
    }

    /// A map that deletes the row instead: the row is gone once nothing retained refers to it.
    @Test(arguments: LedgerDriver.allCases) func aMapThatDeletesCancelledAccountsDeletesTheRow(on driver: LedgerDriver) async throws {
        let harness = try await RightsTestHarness.sample(
            on: driver,
            subjects: 40, modules: [AccountCancellationRight.self], rights: "account-cancellation: {}",
            editingMap: { map in
                map.replacingOccurrences(of: "cancelled: { column: status, value: cancelled }", with: "cancelled: delete-row")
            })
        let subject = try await #require(
            try database(harness).read { db in
                try Int.fetchOne(db, sql: "SELECT id FROM accounts WHERE id % 3 != 0 AND id NOT IN (SELECT account_id FROM orders) LIMIT 1")
            })
        let request = try await harness.run(intake(subject))
        #expect(request.state == .completed)
        let rows = try await database(harness).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts WHERE id = ?", arguments: [subject])
        }
        #expect(rows == 0)
    }

    /// "When you log in … through a third-party account authorization, you need to apply to the third party"
    @Test(arguments: LedgerDriver.allCases) func aThirdPartyLoginIsReferredToTheThirdParty(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let provider = try await #require(
            try database(harness).read { db in try String.fetchOne(db, sql: "SELECT provider FROM third_party_logins WHERE account_id = 12")
            })
        let before = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        let request = try await harness.run(intake(12))
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .thirdPartyAccount)
        #expect(request.outcome?.message.contains("apply to \(provider)") == true)
        #expect(try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite")) == before)
    }

    /// "the cancellation itself stays on record"
    @Test(arguments: LedgerDriver.allCases) func theCancellationStaysOnRecord(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.run(intake(13))
        let actions = try await harness.store.entries(for: request.id).map(\.event.action)
        #expect(actions.contains("account.cancelled"))
        let kept = try #require(try await harness.store.request(request.id))
        #expect(kept.subject == nil)
        #expect(kept.subjectKey == harness.store.subjectKey(for: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(13))))
        // Cancelled means cancelled: a second request finds nothing left.
        let again = try await harness.run(intake(13))
        #expect(again.outcome?.message.contains("We hold no personal information") == true)
    }

    @Test(arguments: LedgerDriver.allCases) func anAgentCannotCancelAnAccount(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        var intake = intake(13)
        intake.requester = .agent
        intake.requesterReference = "agent-1"
        await #expect(throws: PipelineError.self) { try await harness.pipeline.submit(intake) }
    }
}
