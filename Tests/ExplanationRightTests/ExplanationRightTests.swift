import ExplanationRight
import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.8 Right to an explanation of the processing rules")
struct ExplanationRightTests {
    static let rights = """
        explanation:
          output: exports
          register:
            - purpose: Account management and security
              categories: [user.account, user.contact, user.device]
              legal_basis: Necessary to perform the contract (PIPL Art. 13(2))
              retention: While the account exists
              recipients: []
            - purpose: Billing and invoicing
              categories: [user.financial]
              legal_basis: Contract; E-Commerce Law Art. 31
              retention: 3 years after the transaction
              recipients: [Payment processors]
            - purpose: Health research partnership
              categories: [user.health]
              legal_basis: Separate consent
              retention: 5 years
              recipients: [Research partner]
        """

    func harness(on driver: LedgerDriver) async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 30, modules: [ExplanationRight.self], rights: Self.rights)
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(module: ExplanationRight.self, rights: Self.rights, on: driver).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// "You have the right to ask us to explain our personal information processing rules."
    @Test(arguments: LedgerDriver.allCases) func theRulesThatApplyAreExplainedFromTheRegister(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.run(
            RequestIntake(right: "explanation", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(10))))
        #expect(request.state == .completed)
        let text = try String(contentsOfFile: try #require(request.outcome?.references["text"]), encoding: .utf8)
        #expect(text.contains("Purpose: Account management and security"))
        #expect(text.contains("Legal basis: Necessary to perform the contract"))
        #expect(text.contains("Shared with: no one outside us"))
        #expect(text.contains("user.contact.email"))
    }

    /// Limited to what is actually held: no health data, so the research activity is left out.
    @Test(arguments: LedgerDriver.allCases) func activitiesAboutDataNotHeldAreLeftOut(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.run(
            RequestIntake(right: "explanation", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(10))))
        let json = try #require(request.outcome?.references["json"])
        let activities = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
        #expect(!activities.contains { $0["purpose"] as? String == "Health research partnership" })
        let account = try #require(activities.first { $0["purpose"] as? String == "Account management and security" })
        let categories = try #require(account["categories"] as? [String])
        #expect(categories.allSatisfy { $0.hasPrefix("user.account") || $0.hasPrefix("user.contact") || $0.hasPrefix("user.device") })
    }

    @Test(arguments: LedgerDriver.allCases) func aStrangerIsToldNothingApplies(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.run(
            RequestIntake(right: "explanation", subject: SubjectIdentity(kind: "email", value: "stranger@example.cn")))
        #expect(request.outcome?.references["activities"] == "0")
        #expect(request.outcome?.message.contains("none of our processing activities applies") == true)
    }

    @Test func aRegisterEntryWithoutCategoriesIsALoadError() async throws {
        await #expect(throws: ConfigErrors.self) {
            try await RightsTestHarness.sample(
                on: .sqlite,
                subjects: 5, modules: [ExplanationRight.self],
                rights: "explanation: { register: [{ purpose: x, categories: [], legal_basis: y, retention: z }] }")
        }
    }
}
