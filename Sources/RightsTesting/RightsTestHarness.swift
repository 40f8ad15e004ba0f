import Foundation
import Logging
import RightsDrivers
import RightsExport
public import RightsKernel
import RightsOutbound
import RightsPostgres
public import RightsStore

/// Everything a module author needs to run requests through the real pipeline in a test:
/// a temporary store (SQLite, or a fresh database on the test PostgreSQL server), a settable
/// clock and the captured outbox.
///
/// ```swift
/// let harness = try RightsTestHarness(modules: [EchoRight.self], rights: "echo: {}")
/// let request = try await harness.run(RequestIntake(right: "echo", subject: .init(kind: "email", value: "a@example.cn")))
/// #expect(request.state == .completed)
/// ```
public struct RightsTestHarness: Sendable {
    public let directory: TemporaryDirectory
    public let clock: SettableClock
    public let store: any OperationsStore
    /// Which store the ledger is in.
    public let driver: LedgerDriver
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
        let yaml = Self.deployment(
            store: "{ driver: sqlite, path: ledger.sqlite }", rights: rights, policy: policy, timezone: timezone, identity: identity,
            dataMap: dataMap)
        try self.init(yaml: yaml, modules: modules, directory: directory, clock: clock, statementLog: statementLog)
    }

    /// The same harness over the ledger `driver` names: `.postgres` takes a new database on the
    /// test PostgreSQL server (``TestPostgres``), so one test runs against both stores.
    public init(
        on driver: LedgerDriver,
        modules: [any RightModule.Type],
        rights: String,
        policy: String = RightsTestHarness.defaultPolicy,
        timezone: String = "Asia/Shanghai",
        identity: String = "{ code_ttl_seconds: 600, max_attempts: 3 }",
        clock: SettableClock = SettableClock(),
        dataMap: String? = nil,
        directory: TemporaryDirectory? = nil
    ) async throws {
        let directory = try directory ?? TemporaryDirectory()
        let yaml = Self.deployment(
            store: try driver.storeSection(), rights: rights, policy: policy, timezone: timezone, identity: identity, dataMap: dataMap)
        try await self.init(on: driver, yaml: yaml, modules: modules, directory: directory, clock: clock)
    }

    /// Builds from a whole deployment document whose `services.store` names the ledger.
    public init(
        on driver: LedgerDriver, yaml: String, modules: [any RightModule.Type], directory: TemporaryDirectory,
        clock: SettableClock = SettableClock()
    ) async throws {
        let file = directory.file("config.yaml")
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try DeploymentSettings.load(path: file)
        let logger = Logger(label: "rightskit.test")
        // The same drivers, by the same names, as the CLI and `serve` open.
        let store = try await StorageDrivers.standard.openLedger(settings.store, at: settings.store.location, clock: clock, logger: logger)
        let data = try await StorageDrivers.standard.openData(settings.dataMap, logger: logger)
        let deployment = try Deployment.load(path: file, registry: ModuleRegistry(modules)) { settings in
            store.services(
                identity: settings.identity, data: data, http: AsyncHTTPOutbound(), exports: StandardExportFormats(),
                timeZone: settings.policy.deadline.timeZone,
                logger: logger)
        }
        self.init(directory: directory, clock: clock, store: store, driver: driver, pipeline: RequestPipeline(deployment: deployment))
    }

    private init(
        directory: TemporaryDirectory, clock: SettableClock, store: any OperationsStore, driver: LedgerDriver, pipeline: RequestPipeline
    ) {
        self.directory = directory
        self.clock = clock
        self.store = store
        self.driver = driver
        self.pipeline = pipeline
    }

    private static func deployment(store: String, rights: String, policy: String, timezone: String, identity: String, dataMap: String?)
        -> String
    {
        let map = dataMap.map { "data_map:\n" + $0 } ?? ""
        return """
            deployment: { name: test, jurisdiction: CN-PIPL, timezone: \(timezone) }
            policy:
            \(Self.indent(policy))
            services:
              store: \(store)
              identity: \(identity)
            \(map)
            rights:
            \(Self.indent(rights))
            """
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
        let loaded = try StoredDeployment(
            path: file, registry: ModuleRegistry(modules), clock: clock, http: AsyncHTTPOutbound(), exports: StandardExportFormats(),
            logger: Logger(label: "rightskit.test"),
            statementLog: statementLog)
        self.store = loaded.store
        self.driver = .sqlite
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
        return try RightsTestHarness(
            modules: modules, rights: rights, policy: policy, clock: clock,
            dataMap: edit(try writeSample(in: directory, subjects: subjects, heavyRows: heavyRows)),
            directory: directory, statementLog: statementLog
        )
    }

    /// The same sample harness with its ledger on `driver`: one module suite runs on SQLite and
    /// on PostgreSQL from one source (the organisation's sample database stays a SQLite file).
    public static func sample(
        on driver: LedgerDriver,
        subjects: Int = 50,
        heavyRows: Int = 0,
        modules: [any RightModule.Type],
        rights: String,
        policy: String = RightsTestHarness.defaultPolicy,
        clock: SettableClock = SettableClock(),
        editingMap edit: (String) -> String = { $0 }
    ) async throws -> RightsTestHarness {
        guard driver == .postgres else {
            return try sample(
                subjects: subjects, heavyRows: heavyRows, modules: modules, rights: rights, policy: policy, clock: clock, editingMap: edit)
        }
        let directory = try TemporaryDirectory()
        return try await RightsTestHarness(
            on: driver, modules: modules, rights: rights, policy: policy, clock: clock,
            dataMap: edit(try writeSample(in: directory, subjects: subjects, heavyRows: heavyRows)), directory: directory)
    }

    /// Writes the sample business database and its key vault into `directory` (where
    /// ``processingLimits(ofSubject:)`` reads it) and returns their data map.
    private static func writeSample(in directory: TemporaryDirectory, subjects: Int, heavyRows: Int) throws -> String {
        let database = directory.file("business.sqlite")
        let vault = directory.file("vault.sqlite")
        try SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows).write(to: database, vaultPath: vault)
        return SampleBusinessDatabase.dataMap(database: database, vault: vault)
    }

    /// A second store on the same ledger, as another process or server instance would open it
    /// (its own connections, the same database and secrets).
    public func openAnotherStore() async throws -> any OperationsStore {
        let settings = try DeploymentSettings.load(path: directory.file("config.yaml"))
        return try await StorageDrivers.standard.openLedger(
            settings.store, at: settings.store.location, clock: clock, logger: Logger(label: "rightskit.test"))
    }

    /// The data service, when the deployment has a data map.
    public var data: DataMapService? { services.data as? DataMapService }

    /// The limits on processing recorded on the rows of sample subject `subject`, read with
    /// plain SQL as the host application reads them.
    public func processingLimits(ofSubject subject: Int) async throws -> [ProcessingLimit] {
        try SampleBusinessDatabase.processingLimits(path: directory.file("business.sqlite"), subject: subject)
    }

    /// Messages queued for a request, oldest first.
    public func outbox(for request: RequestID) async throws -> [OutboundMessage] {
        try await store.outbox(request: request).map(\.message)
    }

    /// The newest one-time code sent for a request, read from the outbox like a subject would.
    public func latestCode(for request: RequestID) async throws -> String? {
        guard let message = try await outbox(for: request).last(where: { $0.kind == "verification-code" }) else { return nil }
        return Self.code(in: message.body)
    }

    /// The request as a response to its challenge is checked against: with its code and holds.
    public func underVerification(_ request: RightRequest) async throws -> RequestUnderVerification {
        guard let read = try await store.requestUnderVerification(request.id, at: clock.now) else {
            throw HarnessError.noCode(request.id)
        }
        return read
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
    /// A harness on PostgreSQL whose deployment names another store.
    case notPostgres
}

/// The stores a ledger can live in, for running one test against each.
public enum LedgerDriver: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    /// The `services.store` section for a new ledger of this kind (for PostgreSQL a fresh
    /// database on the test server, its secrets in `keys` beside the deployment file).
    public func storeSection() throws -> String {
        switch self {
        case .sqlite: "{ driver: sqlite, path: ledger.sqlite }"
        case .postgres: "{ driver: postgres, url: \"\(try TestPostgres.shared.get().database())\", keys: keys }"
        }
    }
}
