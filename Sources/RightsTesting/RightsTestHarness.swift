import Foundation
import Logging
import RightsKernel
import RightsStore

/// Everything a module author needs to run requests through the real pipeline in a test:
/// a temporary SQLite store, a settable clock and the captured outbox.
///
/// ```swift
/// let harness = try RightsTestHarness(modules: [EchoRight.self], rights: "echo: {}")
/// let request = try await harness.run(RequestIntake(right: "echo", subject: .init(kind: "email", value: "a@example.cn")))
/// #expect(request.state == .completed)
/// ```
public struct RightsTestHarness: Sendable {
    public let directory: TemporaryDirectory
    public let clock: SettableClock
    public let store: SQLiteStore
    public let pipeline: RequestPipeline
    public var services: Services { pipeline.deployment.services }

    /// The jurisdiction part used when a test gives none: 15 calendar days, no repetition limit.
    public static let defaultPolicy = """
        deadline: { days: 15 }
        extension: { days: 15 }
        """

    /// Builds a deployment from `rights` (the YAML under `rights:`) and `policy` (under `policy:`).
    public init(
        modules: [any RightModule.Type],
        rights: String,
        policy: String = RightsTestHarness.defaultPolicy,
        timezone: String = "Asia/Shanghai",
        identity: String = "{ code_ttl_seconds: 600, max_attempts: 3 }",
        clock: SettableClock = SettableClock(),
        dataMap: String? = nil,
        directory: TemporaryDirectory? = nil,
        statementLog: StatementLog? = nil
    ) throws {
        let directory = try directory ?? TemporaryDirectory()
        let map = dataMap.map { "data_map:\n" + $0 } ?? ""
        let yaml = """
            deployment: { name: test, jurisdiction: CN-PIPL, timezone: \(timezone) }
            policy:
            \(Self.indent(policy))
            services:
              store: { driver: sqlite, path: ledger.sqlite }
              identity: \(identity)
            \(map)
            rights:
            \(Self.indent(rights))
            """
        try self.init(yaml: yaml, modules: modules, directory: directory, clock: clock, statementLog: statementLog)
    }

    /// Builds from a whole deployment document.
    public init(
        yaml: String,
        modules: [any RightModule.Type],
        directory: TemporaryDirectory,
        clock: SettableClock = SettableClock(),
        statementLog: StatementLog? = nil
    ) throws {
        self.directory = directory
        self.clock = clock
        let file = directory.file("config.yaml")
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try StoredDeployment(path: file, registry: ModuleRegistry(modules), clock: clock, logger: Logger(label: "rightskit.test"), statementLog: statementLog)
        self.store = loaded.store
        self.pipeline = RequestPipeline(deployment: loaded.deployment)
    }

    /// A harness over a generated sample business database (``SampleBusinessDatabase``) of
    /// `subjects` subjects, with its data map.
    /// `edit` changes the sample's data map before it loads (a test of another mapping).
    public static func sample(
        subjects: Int = 50,
        heavyRows: Int = 0,
        modules: [any RightModule.Type],
        rights: String,
        policy: String = RightsTestHarness.defaultPolicy,
        clock: SettableClock = SettableClock(),
        statementLog: StatementLog? = nil,
        editingMap edit: (String) -> String = { $0 }
    ) throws -> RightsTestHarness {
        let directory = try TemporaryDirectory()
        let database = directory.file("business.sqlite"), vault = directory.file("vault.sqlite")
        try SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows).write(to: database, vault: SubjectKeyVault(path: vault))
        return try RightsTestHarness(
            modules: modules, rights: rights, policy: policy, clock: clock,
            dataMap: edit(SampleBusinessDatabase.dataMap(database: database, vault: vault)),
            directory: directory, statementLog: statementLog
        )
    }

    /// The data service, when the deployment has a data map.
    public var data: SQLiteDataService? { services.data as? SQLiteDataService }

    /// Messages queued for a request, oldest first.
    public func outbox(for request: RequestID) async throws -> [OutboundMessage] {
        try await store.outbox(request: request).map(\.message)
    }

    /// The newest one-time code sent for a request, read from the outbox like a subject would.
    public func latestCode(for request: RequestID) async throws -> String? {
        guard let message = try await outbox(for: request).last(where: { $0.kind == "verification-code" }) else { return nil }
        return Self.code(in: message.body)
    }

    /// Submits, verifies with the code from the outbox and returns the request as saved.
    public func run(_ intake: RequestIntake) async throws -> RightRequest {
        let submitted = try await pipeline.submit(intake)
        guard submitted.state == .awaitingVerification else { return submitted }
        guard let code = try await latestCode(for: submitted.id) else { throw HarnessError.noCode(submitted.id) }
        return try await pipeline.verify(submitted.id, code: code)
    }

    /// The first run of digits in a message body.
    public static func code(in body: String) -> String? {
        OneTimeCodeVerifier.code(in: body)
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
}

/// A harness that could not be built or driven.
public enum HarnessError: Error {
    case noCode(RequestID)
}
