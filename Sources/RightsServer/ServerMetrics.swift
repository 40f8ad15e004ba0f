import Foundation
import Hummingbird
import Metrics
import Prometheus
import RightsKernel
import RightsStorage

/// What `/metrics` exposes: handler latency per route, delivery failures, and at each scrape the
/// requests by right and state and how many are overdue. Recorded through swift-metrics against
/// this server's own Prometheus registry, so no global bootstrap is needed.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let deliveryFailures: Metrics.Counter
    private let checkpointRefusals: Metrics.Counter

    init() {
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
    /// A checkpoint refused because the chain since the last one is not intact.
    func recordCheckpointRefusal() { checkpointRefusals.increment() }

    /// Records one handled HTTP request.
    func recordHandled(route: String, method: String, status: Int, duration: Duration) {
        Metrics.Timer(
            label: "rightskit_http_request_duration_seconds", dimensions: [("route", route), ("method", method), ("status", "\(status)")],
            factory: factory
        )
        .recordNanoseconds(duration.nanoseconds)
    }

    /// The exposition text, with the ledger's counts taken now.
    func exposition(store: any OperationsStore, rights: [String], at now: Date) async throws -> String {
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
        return registry.emitToString()
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
