import ArgumentParser
import Foundation
import Logging
import RightsDrivers
import RightsExport
import RightsKernel
import RightsOutbound
import RightsPostgres
import RightsStore

/// Options every deployment command takes.
struct DeploymentOptions: ParsableArguments {
    @Option(name: .long, help: "The deployment file.")
    var config: String = "config.yaml"

    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Rehearse at this time: yyyy-MM-dd[THH:mm] (local to the deployment) or RFC 3339.",
            discussion:
                "The clock starts there and runs on. Every audit entry written is marked clock: simulated, and `audit verify` counts them."
        ))
    var at: String?

    /// Loads the deployment against its real store (SQLite or PostgreSQL, as `services.store`
    /// says); configuration mistakes exit with status 3.
    func open(_ registry: ModuleRegistry) async throws -> OpenDeployment {
        let clock = try self.clock()
        let logger = Logger(label: "rightskit")
        let settings = try loading { try DeploymentSettings.load(path: config) }
        // The organisation's databases first: a missing one (an unmounted volume) is refused
        // before anything of RightsKit's own is created.
        let data = try await opening { try await StorageDrivers.standard.openData(settings.dataMap, logger: logger) }
        let store = try await Self.openStore(settings.store, clock: clock, logger: logger)
        let deployment = try loading {
            try Deployment.load(path: config, registry: registry) { settings in
                store.services(
                    identity: settings.identity, data: data, http: AsyncHTTPOutbound(), exports: StandardExportFormats(),
                    timeZone: settings.policy.deadline.timeZone,
                    logger: logger)
            }
        }
        return OpenDeployment(pipeline: RequestPipeline(deployment: deployment), store: store)
    }

    /// Opens the store a deployment names with its registered driver, migrating it; a database
    /// that cannot be reached is a failure (exit 1) that says where, never with a password.
    static func openStore(_ settings: DeploymentSettings.StoreSettings, clock: any WallClock, logger: Logger) async throws
        -> any OperationsStore
    {
        do {
            return try await StorageDrivers.standard.openLedger(settings, at: settings.location, clock: clock, logger: logger)
        } catch let error as ConfigError {
            throw CommandFailure(.invalidConfiguration, error.description)
        } catch let error as PostgresStoreUnreachable {
            throw CommandFailure(.failure, error.description)
        }
    }

    /// Writes the sample business database (1,000 subjects) where the deployment's data map
    /// expects its first source, when that file is missing: a fresh clone's first run. Returns
    /// the path written, or nil when the database was there.
    func seedSampleIfMissing() throws -> String? {
        let settings = try loading { try DeploymentSettings.load(path: config) }
        guard let map = settings.dataMap, let source = map.sources.first, source.driver == .embedded,
            !FileManager.default.fileExists(atPath: source.path)
        else { return nil }
        try SampleBusinessDatabase(subjects: 1_000).write(to: source.path, vaultPath: map.vaultPath)
        return source.path
    }

    /// The system clock, or a simulated one starting at `--at`.
    func clock() throws -> any WallClock {
        guard let at else { return SystemClock() }
        let settings = try loading { try DeploymentSettings.load(path: config) }
        guard let start = Timestamp.date(at, localTo: settings.policy.deadline.timeZone) else {
            throw ValidationError("--at expects yyyy-MM-dd, yyyy-MM-ddTHH:mm (local to the deployment) or an RFC 3339 time")
        }
        return SimulatedClock(startingAt: start)
    }

    /// Runs one pipeline operation on the request named `text` and shows the request as saved:
    /// the shape of approve, deny, extend, review, cancel and verify.
    func act(on text: String, _ registry: ModuleRegistry, _ operation: (RequestPipeline, RequestID) async throws -> RightRequest)
        async throws
    {
        let id = try requestID(text)
        let deployment = try await open(registry)
        let request = try await mapped { try await operation(deployment.pipeline, id) }
        try Output.show(request, json: json)
    }

    /// Loads the deployment against an in-memory ledger, to validate or describe it without
    /// touching its store; `withData: false` skips opening the organisation's databases (to list
    /// modules before the sample exists).
    func inspect(_ registry: ModuleRegistry, withData: Bool = true) async throws -> Deployment {
        let logger = Logger(label: "rightskit.inspect")
        // When the settings parse, the data map's databases are opened (read-only) first; when
        // they do not, loading reports every mistake together.
        let settings = try? DeploymentSettings.load(path: config)
        if let settings {
            _ = try loading { try StorageDrivers.standard.driver(settings.store.driver, at: settings.store.location) }
        }
        var data: (any PersonalDataService)?
        if withData, let settings {
            data = try await opening { try await StorageDrivers.standard.openData(settings.dataMap, logger: logger, readOnly: true) }
        }
        return try loading {
            try Deployment.load(path: config, registry: registry) { settings in
                try SQLiteStore.inMemory().services(
                    identity: settings.identity, data: data ?? NoPersonalData(), timeZone: settings.policy.deadline.timeZone, logger: logger
                )
            }
        }
    }

    /// Turns configuration errors from opening the organisation's databases into their located report and exit status 3.
    func opening<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let errors as ConfigErrors {
            throw CommandFailure(.invalidConfiguration, errors.description)
        } catch let error as ConfigError {
            throw CommandFailure(.invalidConfiguration, error.description)
        }
    }

    /// Turns configuration errors into their located report and exit status 3.
    func loading<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let errors as ConfigErrors {
            throw CommandFailure(.invalidConfiguration, errors.description)
        } catch let error as ConfigError {
            throw CommandFailure(.invalidConfiguration, error.description)
        }
    }
}

/// A loaded deployment and the store behind it.
struct OpenDeployment {
    let pipeline: RequestPipeline
    let store: any OperationsStore
}

/// Maps kernel errors to exit statuses.
func mapped<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch let error as PipelineError {
        throw CommandFailure(ExitStatus(error.code.kind), error.message)
    }
}

extension ExitStatus {
    /// The exit status of each kind of kernel refusal (the one place they are mapped).
    init(_ kind: PipelineError.Kind) {
        self =
            switch kind {
            case .notFound: .notFound
            case .invalid: .badInput
            case .unacceptable, .notNow: .refused
            case .conflict: .conflict
            case .workFailed: .workFailed
            case .rateLimited: .rateLimited
            case .verificationFailed: .verificationFailed
            }
    }
}

/// Parses a request id argument.
func requestID(_ text: String) throws -> RequestID {
    guard let id = RequestID(text) else { throw ValidationError("'\(text)' is not a request id (a UUID)") }
    return id
}

/// Parses `kind:value`.
func identity(_ text: String, option: String) throws -> SubjectIdentity {
    guard let identity = SubjectIdentity(parsing: text) else {
        throw ValidationError("\(option) expects kind:value, such as email:li.wei@example.cn")
    }
    return identity
}
