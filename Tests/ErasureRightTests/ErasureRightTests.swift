import ErasureRight
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.3 Right to erasure")
struct ErasureRightTests {
    func harness(on driver: LedgerDriver, _ rights: String = "erasure: {}") async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 40, modules: [ErasureRight.self], rights: rights)
    }

    func run(_ harness: RightsTestHarness, ground: String, subject: Int) async throws -> RightRequest {
        try await harness.run(
            RequestIntake(
                right: "erasure", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)),
                parameters: ["ground": ground]))
    }

    func database(_ harness: RightsTestHarness) throws -> DatabaseQueue {
        try DatabaseQueue(path: harness.directory.file("business.sqlite"))
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(
            module: ErasureRight.self, rights: "erasure: {}", parameters: ["ground": "consent-withdrawn"], on: driver
        ).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// "You may request us to delete your personal information in the following circumstances: (1) … (5)"
    @Test(arguments: ErasureGround.allCases, LedgerDriver.allCases)
    func eachOfTheFiveGroundsIsAccepted(_ ground: ErasureGround, on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness, ground: ground.rawValue, subject: 14)
        #expect([.completed, .partiallyCompleted].contains(request.state))
        #expect(request.outcome?.message.contains(ground.description) == true)
        let email = try await database(harness).read { db in try String.fetchOne(db, sql: "SELECT email FROM accounts WHERE id = 14") }
        #expect(email != SampleBusinessDatabase.email(14))
    }

    @Test(arguments: LedgerDriver.allCases) func aRequestWithoutAGroundOrWithAnUnknownOneIsRefusedAtIntake(on driver: LedgerDriver)
        async throws
    {
        let harness = try await harness(on: driver)
        let subject = SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(14))
        await #expect(throws: PipelineError.self) { try await harness.pipeline.submit(RequestIntake(right: "erasure", subject: subject)) }
        await #expect(throws: PipelineError.self) {
            try await harness.pipeline.submit(RequestIntake(right: "erasure", subject: subject, parameters: ["ground": "i-feel-like-it"]))
        }
    }

    @Test(arguments: LedgerDriver.allCases) func aDeploymentCanNarrowTheGrounds(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver, "erasure: { grounds: [consent-withdrawn, unlawful-processing] }")
        await #expect(throws: PipelineError.self) { try await run(harness, ground: "purpose-achieved", subject: 14) }
        await #expect(throws: ConfigErrors.self) { try await self.harness(on: driver, "erasure: { grounds: [consent-withdrawm] }") }
    }

    /// "If the retention period prescribed by laws … has not expired … we will stop processing except for storage and taking necessary security protection measures."
    @Test(arguments: LedgerDriver.allCases) func retainedDataIsRestrictedAndTheResponseSaysUntilWhen(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let subject = try await #require(
            try database(harness).read { db in
                try Int.fetchOne(db, sql: "SELECT account_id FROM orders WHERE created_at >= '2024-06-01' LIMIT 1")
            })
        let request = try await run(harness, ground: "purpose-achieved", subject: subject)
        #expect(request.state == .partiallyCompleted)
        let withheld = try #require(request.outcome?.withheld.first { $0.category == "user.financial.order" })
        #expect(withheld.ground.code == "retained")
        // The person is told the law's date where the deployment is, never a UTC instant.
        let until = try #require(withheld.until.flatMap { Timestamp.date($0) })
        let day = Timestamp.day(until, in: harness.pipeline.deployment.settings.policy.deadline.timeZone)
        #expect(request.outcome?.message.contains("until \(day))") == true, "\(request.outcome?.message ?? "")")
        let told = try #require(try await harness.outbox(for: request.id).last { $0.kind == .outcome })
        #expect(told.body.contains("(until \(day))") && !told.body.contains("T16:00:00"), "\(told.body)")
        #expect(request.outcome?.message.contains("E-Commerce Law Art. 31") == true)
        #expect(request.outcome?.message.contains("storage and security") == true)
        let restrictions = try await database(harness).read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM rightskit_restrictions WHERE table_name = 'orders' AND request_id = ?",
                arguments: [request.id.rawValue])
        }
        #expect(restrictions ?? 0 > 0)
        // The account itself is erased all the same.
        let account = try database(harness).read { db in
            try Row.fetchOne(db, sql: "SELECT email, phone, display_name FROM accounts WHERE id = ?", arguments: [subject])
        }
        #expect(account?["phone"] as String? == nil)
        #expect(account?["display_name"] as String? == "Deleted user")
    }

    @Test(arguments: LedgerDriver.allCases) func theSubjectCanNoLongerBeFoundAfterwards(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        _ = try await run(harness, ground: "consent-withdrawn", subject: 14)
        let footprint = try await harness.services.data.footprint(
            of: [SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(14))], scope: .everything)
        #expect(footprint.tables.first { $0.table == "accounts" }?.rows == 0)
    }
}
