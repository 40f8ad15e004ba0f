import AccessRight
import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.1 Right of access")
struct AccessRightTests {
    func harness(on driver: LedgerDriver, _ rights: String = "access: { output: exports }") async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 30, modules: [AccessRight.self], rights: rights)
    }

    func run(_ harness: RightsTestHarness, subject: Int = 15) async throws -> RightRequest {
        try await harness.run(
            RequestIntake(right: "access", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject))))
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(module: AccessRight.self, rights: "access: { output: exports }", on: driver).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// Exports are removed once the request has been final for the retention (30 days by default).
    @Test(arguments: LedgerDriver.allCases) func theExportIsRemovedAfterItsRetention(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness)
        let folder = URL(fileURLWithPath: try #require(request.outcome?.references["json"])).deletingLastPathComponent().path
        let other = try await run(harness, subject: 16)
        harness.clock.advance(days: 29)
        #expect(try await harness.pipeline.resumeInterrupted().responsesRemoved == 0)
        #expect(FileManager.default.fileExists(atPath: folder))
        harness.clock.advance(days: 2)
        #expect(try await harness.pipeline.resumeInterrupted().responsesRemoved == 2)
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(
            !FileManager.default.fileExists(
                atPath: URL(fileURLWithPath: try #require(other.outcome?.references["html"])).deletingLastPathComponent().path))
        #expect(FileManager.default.fileExists(atPath: harness.directory.file("exports")), "only the requests' own folders go")
        // Found by index and marked: the next sweep has nothing to read.
        #expect(try await harness.store.responsesToRemove(finalBefore: harness.clock.now, limit: 10).isEmpty)
        #expect(try await harness.pipeline.resumeInterrupted().responsesRemoved == 0)
    }

    /// "You have the right to access your personal information … Account Information … Transaction information"
    @Test(arguments: LedgerDriver.allCases) func theSubjectReceivesTheirDataGroupedByCategory(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness)
        #expect(request.state == .completed)
        let json = try #require(request.outcome?.references["json"])
        #expect(json.hasPrefix(harness.directory.path + "/exports/"), "written under the configured folder")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let categories = try #require(document["categories"] as? [[String: Any]]).compactMap { $0["category"] as? String }
        #expect(categories.contains("user.contact.email"))
        #expect(categories.contains("user.financial.order") || categories.contains("user.service.activated"))
        // Grouped the way the page reads: account information first, each category once.
        #expect(Set(categories).count == categories.count)
        #expect(categories.first?.hasPrefix("user.account") == true)
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(text.contains(SampleBusinessDatabase.userID(15)))
        #expect(!text.contains(SampleBusinessDatabase.userID(16)))
    }

    @Test(arguments: LedgerDriver.allCases) func aReadablePageShowsAccountAndTransactionInformation(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness)
        let html = try String(contentsOfFile: try #require(request.outcome?.references["html"]), encoding: .utf8)
        #expect(html.components(separatedBy: "<h2>Account information</h2>").count == 2, "each heading once")
        #expect(html.components(separatedBy: "<h2>Transaction information</h2>").count <= 2)
        #expect(html.contains("<h2>Consents</h2>"))
        #expect(html.contains(SampleBusinessDatabase.email(15)))
        #expect(html.hasSuffix("</body></html>\n"))
    }

    /// "… except for exceptions provided by laws and regulations"
    @Test(arguments: LedgerDriver.allCases) func heldAndExemptCategoriesAreLeftOutWithTheirGround(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver, "access: { output: exports, exempt: { user.identity.government_id: other-law } }")
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: nil, category: "user.financial", ground: .criminalInvestigation, authority: "Case 9", expiresAt: nil,
                createdAt: harness.clock.now))
        let request = try await run(harness)
        #expect(request.state == .partiallyCompleted)
        let withheld = try #require(request.outcome?.withheld)
        #expect(withheld.map(\.category.name).sorted() == ["user.financial", "user.identity.government_id"])
        #expect(withheld.first { $0.category == "user.financial" }?.ground == .criminalInvestigation)
        let text = try String(contentsOfFile: try #require(request.outcome?.references["json"]), encoding: .utf8)
        #expect(!text.contains("user.financial"))
        #expect(!text.contains("110101"), "the exempt government id is not exported")
        let html = try String(contentsOfFile: try #require(request.outcome?.references["html"]), encoding: .utf8)
        #expect(html.contains("Not included:"))
        #expect(html.contains("criminal investigation"))
        #expect(request.outcome?.message.contains("Left out: user.financial") == true)
    }

    @Test(arguments: LedgerDriver.allCases) func aSubjectWeDoNotKnowGetsAnEmptyAnswer(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await harness.run(
            RequestIntake(right: "access", subject: SubjectIdentity(kind: "email", value: "stranger@example.cn")))
        #expect(request.state == .completed)
        #expect(request.outcome?.references["records"] == "0")
        let html = try String(contentsOfFile: try #require(request.outcome?.references["html"]), encoding: .utf8)
        #expect(html.contains("We hold no personal information about you."))
    }

    @Test func aMisconfiguredExemptionIsALoadError() async throws {
        await #expect(throws: ConfigErrors.self) { try await harness(on: .sqlite, "access: { exempt: { user.financial: because } }") }
    }
}
