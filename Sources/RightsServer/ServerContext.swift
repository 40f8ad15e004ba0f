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
    /// The client's IP address (of the reverse proxy, behind one).
    let clientAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// Who is calling, for the generated handlers, which see only their typed input: set by
/// ``CallerMiddleware`` for the duration of each request.
struct Caller: Sendable {
    var token: OperatorToken?
    var clientAddress: String
    var logger: Logger

    @TaskLocal static var current = Caller(token: nil, clientAddress: "unknown", logger: Logger(label: "rightskit.server"))
}

/// Hands the context's token, address and logger to the handlers as ``Caller/current``.
struct CallerMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        try await Caller.$current.withValue(Caller(token: context.identity, clientAddress: context.clientAddress, logger: context.logger)) {
            try await next(request, context)
        }
    }
}
