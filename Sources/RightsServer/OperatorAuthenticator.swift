import Hummingbird
import HummingbirdAuth
import RightsStorage

/// Authenticates `Authorization: Bearer <token>` on `/v1/admin` against the ledger's hashed
/// tokens; a missing, unknown or revoked token is 401 before any handler runs.
struct OperatorAuthenticator: AuthenticatorMiddleware {
    typealias Context = ServerContext
    let store: any OperationsStore

    func authenticate(request: Request, context: ServerContext) async throws -> OperatorToken? {
        guard request.uri.path.hasPrefix("/v1/admin") else { return nil }
        guard let bearer = request.headers.bearer else {
            throw APIProblem(.unauthorized, "token_required", "this endpoint needs Authorization: Bearer <token> (rightskit token create)")
        }
        guard let token = try await store.token(secret: bearer.token) else {
            throw APIProblem(.unauthorized, "token_invalid", "the token is unknown or revoked")
        }
        return token
    }
}
