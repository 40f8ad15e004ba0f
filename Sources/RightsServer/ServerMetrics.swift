import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import RightsKernel
import RightsStorage
import Synchronization

/// What `/metrics` exposes: handler latency per route, delivery failures, checkpoint refusals,
/// and the requests by right and state and how many are overdue. Recorded through swift-metrics
/// against this server's own Prometheus registry, so no global bootstrap is needed. The ledger
/// is counted at most once per `refresh`, however often it is scraped.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let refresh: TimeInterval
    private let counted = Mutex<Date?>(nil)
    private let deliveryFailures: Metrics.Counter
    private let checkpointRefusals: Metrics.Counter

    init(refresh: TimeInterval = 15) {
        self.refresh = refresh
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
        deliveryFailures = Metrics.Counter(label: "rightskit_delivery_failures_total", factory: factory)
        checkpointRefusals = Metrics.Counter(label: "rightskit_audit_checkpoint_refusals_total", factory: factory)
    }

    /// Counts one failed delivery attempt.
    func recordDeliveryFailure() { deliveryFailures.increment() }

    /// The last drift check's findings by kind (every kind, 0 where none), and when it ran.
    func recordDrift(_ findings: [DriftFinding]) {
        for kind in DriftFinding.Kind.allCases {
            Gauge(label: "rightskit_datamap_drift_findings", dimensions: [("kind", kind.rawValue)], factory: factory)
                .record(findings.filter { $0.kind == kind }.count)
        }
        Gauge(label: "rightskit_datamap_drift_checked_seconds", factory: factory).record(Date().timeIntervalSince1970)
    }
    /// A checkpoint refused because the chain since the last one is not intact: counted for
    /// alerting and logged, whichever path asked for the checkpoint.
    func recordCheckpointRefusal(_ refused: AuditCheckpointRefused, logger: Logger) {
        checkpointRefusals.increment()
        logger.critical("audit checkpoint refused", metadata: ["found": "\(refused.found)"])
    }

    /// Records one handled HTTP request.
    func recordHandled(route: String, method: String, status: Int, duration: Duration) {
        Metrics.Timer(
            label: "rightskit_http_request_duration_seconds", dimensions: [("route", route), ("method", method), ("status", "\(status)")],
            factory: factory
        )
        .recordNanoseconds(duration.nanoseconds)
    }

    /// The exposition text, with the ledger's counts at most `refresh` old.
    func exposition(store: any OperationsStore, rights: [String], at now: Date) async throws -> String {
        let due = counted.withLock { last in
            guard last.map({ now.timeIntervalSince($0) >= refresh || now < $0 }) ?? true else { return false }
            last = now
            return true
        }
        if due { try await countLedger(store: store, rights: rights, at: now) }
        return registry.emitToString()
    }

    /// Takes the ledger's counts into the gauges.
    private func countLedger(store: any OperationsStore, rights: [String], at now: Date) async throws {
        var counts: [String: [String: Int]] = [:]
        for (right, state, count) in try await store.requestCounts() { counts[right, default: [:]][state] = count }
        // Every enabled right in every state, zeros included, so a count that fell to nothing reads 0.
        for right in Set(rights).union(counts.keys).sorted() {
            for state in RequestState.allCases {
                Gauge(label: "rightskit_requests", dimensions: [("right", right), ("state", state.rawValue)], factory: factory)
                    .record(counts[right]?[state.rawValue] ?? 0)
            }
        }
        Gauge(label: "rightskit_requests_overdue", factory: factory).record(try await store.overdueCount(at: now))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Times every request into ``ServerMetrics``, labelled by route template (never by path, which
/// holds request ids).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordHandled(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
            duration: ContinuousClock.now - start)
        return response
    }
}

/// Keeps `/metrics` for whoever holds the deployment's metrics token, when it names one (the
/// counts tell how busy the organisation's privacy desk is): 401 otherwise.
struct MetricsTokenMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let token: String

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        guard request.uri.path == "/metrics" else { return try await next(request, context) }
        let offered = request.headers[.authorization].map { Array($0.utf8) } ?? []
        let expected = Array("Bearer \(token)".utf8)
        // Compared in time that does not depend on where the first difference is.
        let matches =
            offered.count == expected.count && zip(offered, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        guard matches else {
            throw APIProblem(.unauthorized, "token_required", "/metrics needs the deployment's metrics token as Authorization: Bearer")
        }
        return try await next(request, context)
    }
}
