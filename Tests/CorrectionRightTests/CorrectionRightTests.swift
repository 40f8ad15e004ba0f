import CorrectionRight
import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("5.2 Right to correction and supplement")
struct CorrectionRightTests {
    func harness(on driver: LedgerDriver) async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 30, modules: [CorrectionRight.self], rights: "correction: {}")
    }

    func run(_ harness: RightsTestHarness, _ parameters: [String: String], subject: Int = 11) async throws -> RightRequest {
        try await harness.run(
            RequestIntake(
                right: "correction", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)),
                parameters: parameters))
    }

    func column(_ harness: RightsTestHarness, _ sql: String) throws -> String? {
        try DatabaseQueue(path: harness.directory.file("business.sqlite")).read { db in try String.fetchOne(db, sql: sql) }
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(
            module: CorrectionRight.self, rights: "correction: {}", parameters: ["field": "user.contact.phone", "value": "+8613911112222"],
            on: driver
        ).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// "you can modify your bound mobile phone number"
    @Test(arguments: LedgerDriver.allCases) func aWrongPhoneNumberIsCorrectedOnDisk(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness, ["field": "user.contact.phone", "value": "+8613911112222"])
        #expect(request.state == .completed)
        #expect(try column(harness, "SELECT phone FROM accounts WHERE id = 11") == "+8613911112222")
        #expect(try column(harness, "SELECT phone FROM accounts WHERE id = 12") == SampleBusinessDatabase.phone(12))
    }

    /// "old and new values audited by hash"
    @Test(arguments: LedgerDriver.allCases) func theAuditHoldsFingerprintsNotValues(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness, ["field": "user.contact.phone", "value": "+8613911112222"])
        let entry = try #require(try await harness.store.entries(for: request.id).first { $0.event.action == "data.corrected" })
        let data = try #require(harness.data)
        #expect(entry.event.details["old"] == data.fingerprint(SampleBusinessDatabase.phone(11)))
        #expect(entry.event.details["new"] == data.fingerprint("+8613911112222"))
        let everything = try await harness.store.entries(for: request.id).map { try CanonicalJSON.string($0) }.joined()
        #expect(!everything.contains("13911112222"))
        #expect(!everything.contains(SampleBusinessDatabase.phone(11)))
    }

    /// "wrong or incomplete information … correct or update"
    @Test(arguments: LedgerDriver.allCases) func anEmptyFieldIsSupplemented(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        try await DatabaseQueue(path: harness.directory.file("business.sqlite")).write { db in
            try db.execute(sql: "UPDATE accounts SET address = NULL WHERE id = 11")
        }
        let request = try await run(harness, ["field": "user.contact.address", "value": "No. 10 Shangdi 10th Street"])
        #expect(request.outcome?.message == "Added the missing postal address.", "the field as a person names it")
        #expect(try column(harness, "SELECT address FROM accounts WHERE id = 11") == "No. 10 Shangdi 10th Street")
    }

    /// "If you need to change the real-name authentication information … go to the website where the original account was registered"
    @Test(arguments: LedgerDriver.allCases) func realNameAuthenticationIsRefusedWithWhereToGo(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let before = try column(harness, "SELECT real_name FROM accounts WHERE id = 11")
        let request = try await run(harness, ["field": "user.identity.real_name", "value": "Wang Fang"])
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .correctElsewhere)
        #expect(request.outcome?.message.contains("the website where the original account was registered") == true)
        #expect(try column(harness, "SELECT real_name FROM accounts WHERE id = 11") == before)
        let notice = try #require(try await harness.outbox(for: request.id).last)
        #expect(notice.body.contains("correct-elsewhere"))
    }

    @Test(arguments: LedgerDriver.allCases) func anUnknownFieldIsRefused(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let request = try await run(harness, ["field": "user.shoe_size", "value": "42"])
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .noSuchField)
    }

    @Test(arguments: LedgerDriver.allCases) func aRequestWithoutAValueIsRejectedAtIntake(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        await #expect(throws: PipelineError.self) {
            try await harness.pipeline.submit(
                RequestIntake(
                    right: "correction", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(11)),
                    parameters: ["field": "user.contact.phone"]))
        }
    }

    @Test(arguments: LedgerDriver.allCases) func aHeldFieldIsNotChanged(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: nil, category: "user.contact", ground: .criminalInvestigation, authority: "Case 4", expiresAt: nil,
                createdAt: harness.clock.now))
        let request = try await run(harness, ["field": "user.contact.phone", "value": "+8613911112222"])
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .criminalInvestigation)
        #expect(try column(harness, "SELECT phone FROM accounts WHERE id = 11") == SampleBusinessDatabase.phone(11))
    }

    /// A correction changes exactly one field: a name that covers several asks which.
    @Test(arguments: LedgerDriver.allCases) func aCategoryCoveringSeveralFieldsIsRefusedAskingForOne(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let before = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        for (field, value) in [("user.contact", "+8613911112222"), ("user.contact.email", "li.wei@example.org")] {
            let request = try await run(harness, ["field": field, "value": value])
            #expect(request.state == .denied)
            #expect(request.outcome?.ground?.code == "ambiguous-field")
            #expect(request.outcome?.message.contains("accounts.") == true, "the refusal lists the fields to choose from")
        }
        #expect(try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite")) == before)
    }

    /// A hold on a category protects its fields whichever way the request names them.
    @Test(arguments: LedgerDriver.allCases) func aFieldUnderACategoryHoldIsRefusedByCategoryOrColumn(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: nil, category: "user.contact.phone", ground: .criminalInvestigation, authority: "Case 9", expiresAt: nil,
                createdAt: harness.clock.now))
        for field in ["user.contact.phone", "accounts.phone"] {
            let request = try await run(harness, ["field": field, "value": "+8613911112222"])
            #expect(request.state == .denied, "\(field)")
            #expect(request.outcome?.ground == .criminalInvestigation, "\(field)")
        }
        #expect(try column(harness, "SELECT phone FROM accounts WHERE id = 11") == SampleBusinessDatabase.phone(11))
    }

    /// A retried correction reports the value it replaced the first time, not its own.
    @Test(arguments: LedgerDriver.allCases) func aRetriedCorrectionReportsTheFirstRunsOldValue(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver)
        let submitted = try await harness.pipeline.submit(
            RequestIntake(
                right: "correction", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(11)),
                parameters: ["field": "accounts.phone", "value": "+8613911112222"]))
        let module = try #require(harness.pipeline.deployment.rights["correction"]).module
        let first = try await harness.data?.correct(
            [SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(11))], field: "accounts.phone", value: "+8613911112222",
            scope: .everything, request: submitted.id)
        let context = HandlingContext(
            requestID: submitted.id, services: harness.services, categoryHolds: [], logger: harness.services.logger)
        let outcome = try await module.handle(submitted, context: context)
        guard case .corrected(let changes) = first else {
            Issue.record("not corrected: \(String(describing: first))")
            return
        }
        #expect(outcome.references["old"] == changes.first?.oldFingerprints.joined(separator: ","))
        #expect(outcome.references["old"] != harness.data?.fingerprint("+8613911112222"))
    }
}
