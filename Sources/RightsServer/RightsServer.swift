import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
public import Logging
import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
public import RightsKernel
public import RightsStorage
import ServiceLifecycle
public import UnixSignals

/// `rightskit serve`: the HTTP service for subjects and operators over the same pipeline the
/// command line drives, with the background work (delivery, sweep, checkpoints, deadline
/// reminders) in one service group that stops gracefully on SIGTERM or SIGINT.
public struct RightsServer: Sendable {
    let pipeline: RequestPipeline
    let store: any OperationsStore
    let settings: ServerSettings
    let logger: Logger
    /// The open standards as the deployment file says them now.
    let standards: StandardsSource

    public init(pipeline: RequestPipeline, store: any OperationsStore, settings: ServerSettings, logger: Logger) {
        self.pipeline = pipeline
        self.store = store
        self.settings = settings
        self.logger = logger
        standards = StandardsSource(path: settings.deploymentFile, initial: settings.standards, store: store, logger: logger)
    }

    /// Serves until a signal in `shutdownSignals` (or cancellation); `onReady` receives the port
    /// actually bound (useful with port 0) once the server accepts connections.
    public func run(shutdownSignals: [UnixSignal] = [.sigterm, .sigint], onReady: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        let client = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        // The client is shut down however the run ends, a refused setting included.
        do {
            let metrics = ServerMetrics(refresh: settings.metricsRefresh)
            let application = try await makeApplication(metrics: metrics, onReady: onReady)
            // The group stops its services in reverse order: the databases' connections, listed
            // first, close last, once the HTTP server and the background work have finished.
            let connections = DatabaseConnectionsService(
                databases: [store as? any DatabaseConnections, pipeline.deployment.services.data as? any DatabaseConnections].compactMap {
                    $0
                },
                logger: logger)
            var configuration = ServiceGroupConfiguration(
                services: [.init(service: connections), .init(service: application)]
                    + (try backgroundServices(client: client, metrics: metrics)).map { .init(service: $0) },
                gracefulShutdownSignals: shutdownSignals,
                logger: logger
            )
            configuration.maximumGracefulShutdownDuration = .milliseconds(Int(settings.shutdownGrace * 1_000))
            configuration.maximumCancellationDuration = .seconds(5)
            let group = ServiceGroup(configuration: configuration)
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func makeApplication(metrics: ServerMetrics, onReady: @escaping @Sendable (Int) async -> Void) async throws -> some ApplicationProtocol
    {
        let secretsPath = URL(fileURLWithPath: pipeline.deployment.settings.store.keysFolder).appendingPathComponent("request-secret.key")
            .path
        let api = RightsAPI(
            pipeline: pipeline, store: store, secrets: try RequestSecrets.loadOrCreate(path: secretsPath), metrics: metrics,
            limiter: ClientRateLimiter(filingsPerMinute: settings.filingsPerMinute, codeAttemptsPerMinute: settings.codeAttemptsPerMinute)
        )
        let router = Router(context: ServerContext.self)
        // One structured line per request at info (RIGHTSKIT_LOG_LEVEL=info), with its request
        // id, method and path; no headers, no bodies, so no secret and no personal data.
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: ResponseHeadersMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware(bodyLimit: settings.bodyLimit, clock: pipeline.deployment.services.clock))
        router.add(middleware: OperatorAuthenticator(store: store))
        if let token = settings.metricsToken { router.add(middleware: MetricsTokenMiddleware(token: token)) }
        router.add(middleware: CallerMiddleware(clients: ForwardedClient(trustedProxies: settings.trustedProxies)))
        router.get("/openapi.yaml") { _, _ in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
                let data = FileManager.default.contents(atPath: url.path)
            else {
                throw APIProblem(.notFound, "not_found", "the API document is not installed beside the server")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        try api.registerHandlers(on: router)
        // The privacy centre's pages, over the same handlers.
        let centre = try await PrivacyCentre.load(api: api, bodyLimit: settings.bodyLimit, standards: standards)
        centre.register(on: router)
        OperatorConsole(centre: centre).register(on: router)
        if let drp = settings.standards.dataRightsProtocol {
            DataRightsProtocol(
                api: api, settings: drp, publicURL: settings.standards.publicURL, bodyLimit: settings.bodyLimit, source: standards
            ).register(on: router)
        }
        if let opendsr = settings.standards.openDSR, let publicURL = settings.standards.publicURL {
            OpenDSR(api: api, settings: opendsr, publicURL: publicURL, bodyLimit: settings.bodyLimit, source: standards).register(
                on: router)
        }
        let host = settings.host
        // Connections are bounded: at most `max` open, each closed when idle or when a request
        // dawdles, so slow or idle clients cannot hold the server's memory.
        let requestTimeout = TimeAmount.milliseconds(Int64(settings.requestReadTimeout * 1_000))
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestReadTimeout(limit: requestTimeout)],
                    idleTimeout: .milliseconds(Int64(settings.idleTimeout * 1_000)))),
            configuration: .init(
                address: .hostname(host, port: settings.port), serverName: "rightskit",
                availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    func backgroundServices(client: HTTPClient, metrics: ServerMetrics) throws -> [any Service] {
        var services: [any Service] = []
        let pipeline = pipeline
        let store = store
        let deployment = pipeline.deployment
        let logger = logger
        if settings.sweepInterval > 0 {
            services.append(
                PeriodicService(name: "sweep", interval: settings.sweepInterval, logger: logger) {
                    let report = try await pipeline.resumeInterrupted()
                    if !report.finished.isEmpty || !report.failures.isEmpty || !report.restrictionsLifted.isEmpty {
                        logger.info(
                            "sweep",
                            metadata: [
                                "resumed": "\(report.finished.count)", "failed": "\(report.failures.count)",
                                "rows.lifted": "\(report.restrictionsLifted.values.reduce(0, +))",
                            ])
                    }
                })
        }
        var delivery: (any MessageDelivery)?
        switch settings.delivery {
        case .outbox: delivery = nil
        case .mailDrop: delivery = deployment.settings.mailDrop.map { MailDropDelivery(folder: $0) }
        case .webhook(let webhook):
            delivery = try WebhookDelivery(webhook: webhook, client: client, logger: logger) { metrics.recordDeliveryFailure() }
        }
        if let delivery, settings.deliveryInterval > 0 {
            let lease = max(60, settings.deliveryInterval * 2)
            services.append(
                PeriodicService(name: "delivery", interval: settings.deliveryInterval, logger: logger) {
                    let report = try await store.deliver(via: delivery, lease: lease)
                    if report.failed > 0 {
                        logger.warning("delivery", metadata: ["delivered": "\(report.delivered)", "failed": "\(report.failed)"])
                    }
                })
        }
        // Status callbacks to clients of the open standards, in a lane of their own.
        if settings.standards.dataRightsProtocol != nil || settings.standards.openDSR != nil, settings.deliveryInterval > 0 {
            let callbacks = StatusCallbackDelivery(standards: standards, client: client, logger: logger)
            let lease = max(60, settings.deliveryInterval * 2)
            services.append(
                PeriodicService(name: "callbacks", interval: settings.deliveryInterval, logger: logger) {
                    let report = try await store.deliver(via: callbacks, lease: lease, lane: .callbacks)
                    if report.failed > 0 {
                        logger.warning("callbacks", metadata: ["delivered": "\(report.delivered)", "failed": "\(report.failed)"])
                    }
                })
        }
        if deployment.settings.auditSigningKey != nil, settings.checkpointInterval > 0 {
            services.append(
                PeriodicService(name: "checkpoint", interval: settings.checkpointInterval, logger: logger) {
                    do {
                        _ = try await store.signCheckpoint(settings: deployment.settings)
                    } catch let refused as AuditCheckpointRefused {
                        // Never signed: the operators must look at the log.
                        metrics.recordCheckpointRefusal(refused, logger: logger)
                    }
                })
        }
        if settings.reminderInterval > 0 {
            let reminders = DeadlineReminders(
                store: store, clock: deployment.services.clock, timeZone: deployment.services.timeZone, lead: settings.reminderLead,
                operators: settings.operators)
            services.append(
                PeriodicService(name: "reminders", interval: settings.reminderInterval, logger: logger) { try await reminders.run() })
        }
        // The data map against the live schema: what drifted is counted in /metrics and logged
        // by kind, never with a value.
        if let data = deployment.services.data as? DataMapService, settings.driftInterval > 0 {
            services.append(
                PeriodicService(name: "drift", interval: settings.driftInterval, logger: logger) {
                    let findings = try await data.drift()
                    metrics.recordDrift(findings)
                    if !findings.isEmpty {
                        logger.warning(
                            "data map drift",
                            metadata: Dictionary(grouping: findings, by: \.kind.rawValue).mapValues { "\($0.count)" })
                    }
                })
        }
        return services
    }
}
