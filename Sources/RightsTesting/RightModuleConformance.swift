import Foundation
public import RightsKernel
import RightsStore

/// The checks every right module passes, run on the sample business database through the real
/// pipeline: each decision is audited, a denied request changes no data, a retried request does
/// no double work, no other subject's data is returned or changed, and holds are honoured.
///
/// ```swift
/// @Test func conformance() async throws {
///     let failures = try await RightModuleConformance(module: ErasureRight.self, rights: "erasure: {}",
///         parameters: ["ground": "consent-withdrawn"]).run()
///     #expect(failures.isEmpty, "\(failures)")
/// }
/// ```
public struct RightModuleConformance: Sendable {
    public var module: any RightModule.Type
    /// The YAML under `rights:` that enables the module.
    public var rights: String
    public var parameters: [String: String]
    /// The sample subject the requests are about; nil for rights about something else
    /// (a product), which skips the per-subject checks.
    public var subject: Int?
    /// The intake, when the request is not a subject's own (an operator, a relative).
    public var intake: RequestIntake?
    /// The ledger the checks run on (the sample business database stays an SQLite file).
    public var driver: LedgerDriver

    public init(
        module: any RightModule.Type, rights: String, parameters: [String: String] = [:], subject: Int? = 13, intake: RequestIntake? = nil,
        on driver: LedgerDriver = .sqlite
    ) {
        self.driver = driver
        self.module = module
        self.rights = rights
        self.parameters = parameters
        self.subject = subject
        self.intake = intake
    }

    /// Runs every check; returns what failed, empty when the module conforms.
    public func run() async throws -> [String] {
        var failures: [String] = []
        failures += try await decisionsAreAudited()
        failures += try await deniedRequestChangesNothing()
        failures += try await retryDoesNoDoubleWork()
        failures += try await otherSubjectsAreUntouched()
        failures += try await categoryHoldIsHonoured()
        return failures
    }

    var request: RequestIntake {
        intake
            ?? RequestIntake(
                right: module.identifier, subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject ?? 1)),
                parameters: parameters)
    }

    func harness() async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 30, modules: [module], rights: rights, policy: "deadline: { days: 30 }")
    }

    /// Submits, verifies and approves any review, as a subject and an operator would.
    func runToEnd(_ harness: RightsTestHarness) async throws -> RightRequest {
        var request = try await harness.run(request)
        if request.state == .awaitingReview || request.state == .awaitingFee {
            request = try await harness.pipeline.approve(request.id, operator: "conformance")
        }
        return request
    }

    func decisionsAreAudited() async throws -> [String] {
        let harness = try await harness()
        let request = try await runToEnd(harness)
        let actions = try await harness.store.entries(for: request.id).map(\.event.action)
        var failures: [String] = []
        if actions.first != .requestReceived {
            failures.append("audit: the first entry is \(actions.first?.rawValue ?? "missing"), not request.received")
        }
        if !actions.contains(where: { $0 == .requestFinished(request.state) || $0 == .processingWaiting }) {
            failures.append("audit: no entry records the decision (\(request.state.rawValue)); entries: \(actions)")
        }
        if !(try await harness.store.verify().isIntact) { failures.append("audit: the chain does not verify") }
        return failures
    }

    func deniedRequestChangesNothing() async throws -> [String] {
        let harness = try await harness()
        let before = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        let key = harness.store.subjectKey(for: request.subject)
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: key, category: nil, ground: .criminalInvestigation, authority: "Conformance case", expiresAt: nil,
                createdAt: harness.clock.now))
        let request = try await runToEnd(harness)
        var failures: [String] = []
        if request.state != .denied || request.outcome?.ground != .criminalInvestigation {
            failures.append("hold: a subject under a hold was not denied citing its ground (state \(request.state.rawValue))")
        }
        if try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite")) != before {
            failures.append("denial: a denied request changed data")
        }
        if !(try await harness.outbox(for: request.id).contains { $0.kind == "outcome" && $0.body.contains("criminal-investigation") }) {
            failures.append("denial: the requester was not told the ground")
        }
        return failures
    }

    func retryDoesNoDoubleWork() async throws -> [String] {
        let harness = try await harness()
        let submitted = try await harness.pipeline.submit(request)
        guard let right = harness.pipeline.deployment.rights[module.identifier] else { return ["the module is not enabled by `rights`"] }
        let context = HandlingContext(
            requestID: submitted.id, services: harness.services, categoryHolds: [], logger: harness.services.logger)
        let first = try await right.module.handle(submitted, context: context)
        let afterFirst = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        let messages = try await harness.store.outbox().count
        let second = try await right.module.handle(submitted, context: context)
        var failures: [String] = []
        if try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite")) != afterFirst {
            failures.append("retry: handling the request again changed data again")
        }
        if try await harness.store.outbox().count != messages { failures.append("retry: handling the request again sent messages again") }
        if first.status != second.status {
            failures.append("retry: the second run's outcome differs (\(first.status) vs \(second.status))")
        }
        return failures
    }

    func otherSubjectsAreUntouched() async throws -> [String] {
        guard let subject else { return [] }
        let harness = try await harness()
        let before = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"), excludingSubject: subject)
        let request = try await runToEnd(harness)
        var failures: [String] = []
        if try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"), excludingSubject: subject) != before {
            failures.append("isolation: another subject's data changed")
        }
        let neighbours = [subject - 1, subject + 1].flatMap { [SampleBusinessDatabase.email($0), SampleBusinessDatabase.userID($0)] }
        for text in try artifacts(of: request, harness: harness) {
            for neighbour in neighbours where text.contains(neighbour) {
                failures.append("isolation: the response contains another subject's data")
            }
        }
        return failures
    }

    func categoryHoldIsHonoured() async throws -> [String] {
        guard let subject else { return [] }
        let harness = try await harness()
        _ = try await harness.services.exceptions.addHold(
            Hold(
                subject: nil, category: "user.contact.email", ground: .tradeSecret, authority: "Conformance hold", expiresAt: nil,
                createdAt: harness.clock.now))
        let request = try await runToEnd(harness)
        var failures: [String] = []
        let email = SampleBusinessDatabase.email(subject)
        let stored = try SampleBusinessDatabase.dump(path: harness.directory.file("business.sqlite"))
        if !stored.contains(email) { failures.append("category hold: a held category was changed") }
        for text in try artifacts(of: request, harness: harness) where text.contains(email) {
            failures.append("category hold: a held category was returned")
        }
        return failures
    }

    /// What the requester receives: the outcome, the outcome message and any file it references.
    func artifacts(of request: RightRequest, harness: RightsTestHarness) throws -> [String] {
        var texts = [try CanonicalJSON.string(request.outcome)]
        for value in (request.outcome?.references ?? [:]).values where value.hasPrefix("/") && FileManager.default.fileExists(atPath: value)
        {
            texts.append(String(decoding: try Data(contentsOf: URL(fileURLWithPath: value)), as: UTF8.self))
        }
        return texts
    }
}
