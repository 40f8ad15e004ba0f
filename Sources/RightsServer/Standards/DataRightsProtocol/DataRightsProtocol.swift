import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import NIOCore
import RightsKernel
import RightsStorage

/// The Data Rights Protocol 1.0 for authorised agents, under the deployment's prefix: pairing,
/// the agent check, filing, status and revocation. A filing enters the same pipeline as a native
/// one (deadlines, verification, holds, repetition, audit, exactly once) through the API's own
/// submit, carrying its channel so operators see where it came from and each change is posted
/// back through the outbox.
struct DataRightsProtocol: Sendable {
    let api: RightsAPI
    var settings: DataRightsProtocolSettings
    var publicURL: URL?
    let bodyLimit: Int
    /// The deployment file's `standards:` as it says them now (agents, keys, callbacks, actions).
    var source: StandardsSource?

    /// The name an agent's pairwise token is kept under among the ledger's tokens.
    static func tokenName(_ agent: String) -> String { "drp.\(agent)" }

    func register(on router: Router<ServerContext>) {
        let base = settings.prefix + "/v1"
        router.post("\(base)/agent/:agent") { request, context in
            await refreshed().pair(request, agent: context.parameters.get("agent") ?? "")
        }
        router.get("\(base)/agent/:agent") { request, context in
            await refreshed().agentInformation(request, agent: context.parameters.get("agent") ?? "")
        }
        // "Implementors may continue to support the trailing slash at their option": the router
        // reads a path with a trailing slash as the same path, so both work.
        router.post("\(base)/data-rights-request") { request, _ in await refreshed().exercise(request) }
        router.get("\(base)/data-rights-request/:id") { request, context in
            await refreshed().status(request, id: context.parameters.get("id") ?? "")
        }
        router.delete("\(base)/data-rights-request/:id") { request, context in
            await refreshed().revoke(request, id: context.parameters.get("id") ?? "")
        }
    }

    /// This protocol with the standards as the deployment file says them now; the prefix stays
    /// where it was mounted, and a file that no longer offers DRP leaves no agent to answer.
    func refreshed() async -> DataRightsProtocol {
        guard let source else { return self }
        let now = await source.current()
        var copy = self
        if var drp = now.dataRightsProtocol {
            drp.prefix = settings.prefix
            copy.settings = drp
        } else {
            copy.settings.agents = [:]
        }
        copy.publicURL = now.publicURL ?? publicURL
        return copy
    }

    // MARK: Endpoints

    /// §2.05: a signed pairing request, checked against the agent's configured key, answers a
    /// fresh pairwise token (any earlier one is revoked); any failure is 403 with no body.
    func pair(_ request: Request, agent: String) async -> Response {
        guard let declared = settings.agents[agent], let key = declared.publicKey,
            let body = try? await text(of: request),
            (try? SignedEnvelope(body: body, key: key, agent: agent, business: settings.businessID, now: api.now)) != nil
        else { return Response(status: .forbidden, headers: Self.noStore) }
        do {
            _ = try await api.store.revokeToken(name: Self.tokenName(agent))
            let (_, secret) = try await api.store.createToken(name: Self.tokenName(agent), role: .agent)
            return Self.json(.ok, ["agent-id": agent, "token": secret])
        } catch {
            return Self.error(.serviceUnavailable, "the token could not be stored; try again", fatal: false)
        }
    }

    /// §2.06: `{}` for the agent's own live token, 403 for another agent's.
    func agentInformation(_ request: Request, agent: String) async -> Response {
        switch await pairedAgent(request) {
        case .success(let paired) where paired == agent: return Self.json(.ok, [String: String]())
        case .success: return Self.error(.forbidden, "this token belongs to another agent", fatal: true)
        case .failure(let refusal): return refusal.response
        }
    }

    /// §2.01: a signed exercise request from a paired agent, filed through the pipeline.
    func exercise(_ request: Request) async -> Response {
        let agent: String
        switch await pairedAgent(request) {
        case .success(let paired): agent = paired
        case .failure(let refusal): return refusal.response
        }
        let claims: [String: Any]
        switch await opened(request, agent: agent) {
        case .success(let opened): claims = opened
        case .failure(let refusal): return refusal.response
        }
        let action = DataRightsProtocolSettings.canonical(claims["exercise"] as? String ?? "")
        guard let mapped = settings.actions[action], api.deployment.rights[mapped.right] != nil else {
            return Self.error(
                .badRequest, "claim_not_covered: this business does not take '\(Self.safe(action))' requests through DRP", fatal: true)
        }
        var callbacks: [URL] = []
        if let callback = claims["status_callback"] {
            guard let text = callback as? String, let url = URL(string: text),
                StandardsSettings.admits(url, allowed: settings.agents[agent]?.callbacks ?? [])
            else {
                return Self.error(.badRequest, "status_callback is not an address this agent may use", fatal: true)
            }
            callbacks = [url]
        }
        guard let subject = subject(from: claims) else {
            return Self.error(
                .badRequest,
                "no_match: the request carries no identity this business looks people up by (\(api.deployment.identityKinds.sorted().joined(separator: ", ")))",
                fatal: true)
        }
        let reference = claims["agent-request-id"] as? String
        if let reference, reference.count > 200 {
            return Self.error(.badRequest, "agent-request-id is longer than 200 characters", fatal: true)
        }
        // An agent that names its request and sends it again (a retry after a lost answer) gets
        // the request it filed, not a second one: the id is derived from its own.
        let id = reference.map { Self.requestID(agent: agent, reference: $0) }
        if let id, let earlier = try? await api.store.request(id) {
            guard earlier.channel?.standard == .dataRightsProtocol, earlier.channel?.client == agent else {
                return Self.error(.badRequest, "agent-request-id was used before", fatal: true)
            }
            return Self.json(.ok, status(of: earlier))
        }
        var intake = RequestIntake(
            right: mapped.right, subject: subject, requester: .agent, requesterReference: "drp:\(agent)",
            parameters: mapped.parameters,
            channel: RequestChannel(standard: .dataRightsProtocol, client: agent, reference: reference, callbacks: callbacks))
        intake.id = id
        do {
            let filed = try await api.submitted { try await api.pipeline.submit(intake) }
            return Self.json(.ok, status(of: filed))
        } catch {
            // Two sends of one request at once: the second finds the first recorded.
            if let id, let earlier = try? await api.store.request(id), earlier.channel?.client == agent {
                return Self.json(.ok, status(of: earlier))
            }
            return refusal(error)
        }
    }

    /// §2.02: the request's status, for the agent that filed it only.
    func status(_ request: Request, id: String) async -> Response {
        switch await filedByAgent(request, id: id) {
        case .success(let filed): return Self.json(.ok, status(of: filed))
        case .failure(let refusal): return refusal.response
        }
    }

    /// §2.04: a signed revocation; the request is cancelled if its work has not started.
    func revoke(_ request: Request, id: String) async -> Response {
        let filed: RightRequest
        switch await filedByAgent(request, id: id) {
        case .success(let found): filed = found
        case .failure(let refusal): return refusal.response
        }
        let agent = filed.channel?.client ?? ""
        switch await opened(request, agent: agent, requireEnvelopeClaims: false) {
        case .success: break
        case .failure(let refusal): return refusal.response
        }
        do {
            let cancelled = try await api.pipeline.cancel(filed.id, actor: .requester(.agent, subject: filed.subjectKey))
            return Self.json(.ok, status(of: cancelled))
        } catch {
            return refusal(error)
        }
    }

    // MARK: Checks

    /// A refusal already written as DRP's error body.
    struct Refusal: Error {
        let response: Response
    }

    /// The agent whose live pairwise token the request bears.
    func pairedAgent(_ request: Request) async -> Result<String, Refusal> {
        guard let secret = request.headers.bearer?.token else {
            return .failure(
                Refusal(response: Self.error(.unauthorized, "send the pairwise token as Authorization: Bearer <token>", fatal: false)))
        }
        guard let token = try? await api.store.token(secret: secret), token.role == .agent, token.name.hasPrefix("drp."),
            settings.agents[String(token.name.dropFirst(4))] != nil
        else {
            return .failure(Refusal(response: Self.error(.forbidden, "the token is unknown or revoked; pair again", fatal: false)))
        }
        return .success(String(token.name.dropFirst(4)))
    }

    /// The request `id` names, when the bearer's agent filed it through DRP; 403 otherwise.
    func filedByAgent(_ request: Request, id: String) async -> Result<RightRequest, Refusal> {
        let agent: String
        switch await pairedAgent(request) {
        case .success(let paired): agent = paired
        case .failure(let refusal): return .failure(refusal)
        }
        guard let requestID = RequestID(id), let filed = try? await api.store.request(requestID) else {
            return .failure(Refusal(response: Self.error(.notFound, "no such request", fatal: false)))
        }
        guard filed.channel?.standard == .dataRightsProtocol, filed.channel?.client == agent else {
            return .failure(Refusal(response: Self.error(.forbidden, "this request is not managed by this agent", fatal: false)))
        }
        return .success(filed)
    }

    /// The claims of the request's signed body, checked in §3.07's order with `agent`'s key.
    ///
    /// A revocation's body (§2.04) shows only `reason`; §3.07's checks of agent, business and
    /// times are read as applying to the claims it carries, so one without them is accepted on
    /// its signature and the token.
    func opened(_ request: Request, agent: String, requireEnvelopeClaims: Bool = true) async -> Result<[String: Any], Refusal> {
        guard let key = settings.agents[agent]?.publicKey, let body = try? await text(of: request) else {
            return .failure(Refusal(response: Self.error(.badRequest, "send the signed body as text/plain", fatal: true)))
        }
        do {
            return .success(
                try SignedEnvelope(
                    body: body, key: key, agent: agent, business: settings.businessID, now: api.now, envelopeClaims: requireEnvelopeClaims
                ).claims)
        } catch {
            let (status, message): (HTTPResponse.Status, String) =
                switch error {
                case .notBase64: (.badRequest, "the body is not Base64 of a signature and a JSON document")
                case .badSignature: (.forbidden, "the signature does not verify with this agent's key")
                case .notJSON: (.badRequest, "the signed part is not a JSON object")
                case .wrongAgent: (.forbidden, "agent-id does not name the agent this token belongs to")
                case .wrongBusiness: (.forbidden, "business-id does not name this business")
                case .notYetValid: (.badRequest, "issued-at is missing or in the future")
                case .expired: (.badRequest, "expires-at is missing or past: the request has expired")
                }
            return .failure(Refusal(response: Self.error(status, message, fatal: true)))
        }
    }

    /// The subject the claims name: the first identity, in DRP's own order (email, then phone),
    /// that the data map looks people up by. Name and address are not matched on.
    func subject(from claims: [String: Any]) -> SubjectIdentity? {
        let kinds = api.deployment.identityKinds
        for (claim, kind) in [("email", "email"), ("phone_number", "phone")] where kinds.contains(kind) {
            if let value = claims[claim] as? String, !value.isEmpty, value.count <= 320 { return SubjectIdentity(kind: kind, value: value) }
        }
        return nil
    }

    /// The request id an agent's own reference names: a UUID from the SHA-256 of the agent and
    /// its reference, so the same reference from the same agent always names the same request.
    static func requestID(agent: String, reference: String) -> RightsKernel.RequestID {
        var bytes = Array(SHA256.hash(data: Data("drp:\(agent):\(reference)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8: derived by a method of our own (RFC 9562)
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
                bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return RightsKernel.RequestID(uuid.uuidString) ?? RightsKernel.RequestID()
    }

    func status(of request: RightRequest) -> DRPStatus {
        DRPStatus(
            RequestStatusChange(request, channel: request.channel ?? RequestChannel(standard: .dataRightsProtocol, client: "")),
            publicURL: publicURL)
    }

    /// A pipeline refusal as DRP's error body; the message never echoes what the agent sent.
    func refusal(_ error: any Error) -> Response {
        if let error = error as? PipelineError {
            let problem = APIProblem(error, now: api.now)
            let fatal = problem.status != .tooManyRequests && problem.status != .conflict
            return Self.error(problem.status, problem.message, fatal: fatal)
        }
        if let problem = error as? APIProblem { return Self.error(problem.status, problem.message, fatal: false) }
        return Self.error(.serviceUnavailable, "the request could not be recorded; try again", fatal: false)
    }

    // MARK: Responses

    static let noStore: HTTPFields = [.cacheControl: "no-store"]

    func text(of request: Request) async throws -> String {
        var request = request
        return String(buffer: try await request.collectBody(upTo: bodyLimit))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? StandardJSON.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// DRP's error shape (§3.06): the status code as a string, a message, and whether the
    /// request is finished with.
    static func error(_ status: HTTPResponse.Status, _ message: String, fatal: Bool) -> Response {
        struct Body: Encodable {
            var code: String
            var message: String
            var fatal: Bool
        }
        return json(status, Body(code: "\(status.code)", message: message, fatal: fatal))
    }

    /// An action name as it may appear in a message: short, and only the characters DRP uses.
    static func safe(_ text: String) -> String {
        String(text.prefix(40).filter { $0.isASCII && ($0.isLetter || $0 == ":" || $0 == "-" || $0 == "_") })
    }
}
