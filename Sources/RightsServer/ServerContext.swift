import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore
import RightsStorage

/// Each HTTP request's context: the operator token it authenticated with, if any, and the
/// client's address for rate limits.
struct ServerContext: AuthRequestContext, RequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: OperatorToken?
    /// The TCP peer's IP address (the reverse proxy's, behind one).
    let peerAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// Who is calling, for the generated handlers, which see only their typed input: set by
/// ``CallerMiddleware`` for the duration of each request.
struct Caller: Sendable {
    var token: OperatorToken?
    /// What the client's rate limits count: its address, or for IPv6 its /64.
    var clientAddress: String
    var logger: Logger

    @TaskLocal static var current = Caller(token: nil, clientAddress: "unknown", logger: Logger(label: "rightskit.server"))
}

/// Hands the context's token, the client (behind trusted proxies, the one they forward for) and
/// the logger to the handlers as ``Caller/current``.
struct CallerMiddleware: RouterMiddleware {
    let clients: ForwardedClient

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        let client = clients.client(peer: context.peerAddress, headers: request.headers)
        return try await Caller.$current.withValue(Caller(token: context.identity, clientAddress: client, logger: context.logger)) {
            try await next(request, context)
        }
    }
}
