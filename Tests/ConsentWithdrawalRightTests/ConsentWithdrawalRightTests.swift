import ConsentWithdrawalRight
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.3 Withdrawal of consent")
struct ConsentWithdrawalRightTests {
    static let rights = """
        consent-withdrawal:
          purposes:
            marketing: { functions: [promotional emails and text messages] }
            personalisation: { functions: [personalised product recommendations] }
            analytics: { functions: [usage analytics] }
        """

    func harness(on driver: LedgerDriver) async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 30, modules: [ConsentWithdrawalRight.self], rights: Self.rights)
    }

    func run(_ harness: RightsTestHarness, purpose: String, subject: Int = 13) async throws -> RightRequest {
        try await harness.run(
            RequestIntake(
                right: "consent-withdrawal", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)),
                parameters: ["purpose": purpose]))
    }

    func consents(_ harness: RightsTestHarness, subject: Int) throws -> [String: String?] {
        try DatabaseQueue(path: harness.directory.file("business.sqlite")).read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(
                    db, sql: "SELECT purpose, withdrawn_at FROM consents WHERE account_id = ?", arguments: [subject]
                ).map { ($0["purpose"] as String, $0["withdrawn_at"] as String?) })
        }
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(
            module: ConsentWithdrawalRight.self, rights: Self.rights, parameters: ["purpose": "marketing"], on: driver
        ).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// "you can make your request … withdrawing your authorization"
    @Test(arguments: LedgerDriver.allCases) func onePurposeIsWithdrawnInTheRegistry(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        try await DatabaseQueue(path: harness.directory.file("business.sqlite")).write { db in
            try db.execute(sql: "UPDATE consents SET withdrawn_at = NULL WHERE account_id = 13")
        }
        let request = try await run(harness, purpose: "marketing")
        #expect(request.state == .completed)
        let registry = try consents(harness, subject: 13)
        #expect(registry["marketing"] == .some(Timestamp.string(harness.clock.now)))
        #expect(registry["personalisation"] == .some(nil))
        #expect(registry["analytics"] == .some(nil))
        #expect(try consents(harness, subject: 14).values.contains { $0 == Timestamp.string(harness.clock.now) } == false)
    }

    /// "When you withdraw your consent … we will no longer be able to provide you with the services corresponding"
    @Test(arguments: LedgerDriver.allCases) func theResponseListsTheFunctionsThatStop(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness, purpose: "personalisation")
        #expect(request.outcome?.message.contains("personalised product recommendations") == true)
        #expect(request.outcome?.references["functions_stopped"] == "personalised product recommendations")
    }

    /// "or you can withdraw all authorizations"
    @Test(arguments: LedgerDriver.allCases) func everyPurposeCanBeWithdrawnAtOnce(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        try await DatabaseQueue(path: harness.directory.file("business.sqlite")).write { db in
            try db.execute(sql: "UPDATE consents SET withdrawn_at = NULL WHERE account_id = 13")
        }
        let request = try await run(harness, purpose: "all")
        #expect(try consents(harness, subject: 13).values.allSatisfy { $0 != nil })
        #expect(request.outcome?.references["withdrawn"] == "analytics,marketing,personalisation")
    }

    /// "your decision to withdraw … will not affect the effectiveness of the personal information processing previously carried out"
    @Test(arguments: LedgerDriver.allCases) func earlierProcessingIsLeftAsItWas(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let before = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        let request = try await run(harness, purpose: "analytics")
        #expect(request.outcome?.message.contains("remains valid") == true)
        let after = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        let changed = zip(before.split(separator: "\n"), after.split(separator: "\n")).filter { $0 != $1 }
        #expect(changed.allSatisfy { $0.0.hasPrefix("consents ") }, "only the consent registry changes")
        #expect(before.split(separator: "\n").count == after.split(separator: "\n").count, "no row is deleted")
    }

    @Test(arguments: LedgerDriver.allCases) func anUnknownPurposeIsRefusedAtIntake(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        await #expect(throws: PipelineError.self) { try await run(harness, purpose: "astrology") }
    }

    @Test func aPurposeWithoutFunctionsIsALoadError() async throws {
        await #expect(throws: ConfigErrors.self) {
            try await RightsTestHarness.sample(
                on: .sqlite,
                subjects: 5, modules: [ConsentWithdrawalRight.self],
                rights: "consent-withdrawal: { purposes: { marketing: { functions: [] } } }")
        }
    }
}
