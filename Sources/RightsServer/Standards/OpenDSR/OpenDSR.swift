import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import NIOCore
import RightsKernel
import RightsStorage

/// OpenDSR 2.0 (formerly OpenGDPR) under `/opendsr/v1`: this service as the processor
/// controllers send their subjects' requests to. Discovery, filing, status and cancellation,
/// every response signed (`X-OpenDSR-Signature`, ECDSA P-256 over the body's SHA-256, FIPS
/// 186-4) with the certificate discovery publishes, and the OpenGDPR paths and headers the
/// specification says must still be honoured (§10.1). A filing enters the same pipeline as a
/// native one; the controller verified the subject, so no code is sent.
struct OpenDSR: Sendable {
    let api: RightsAPI
    var settings: OpenDSRSettings
    var publicURL: URL
    let bodyLimit: Int
    var source: StandardsSource?

    static let prefix = "/opendsr/v1"
    static let apiVersion = "2.0"
    static let identityKinds = ["email": "email", "controller_customer_id": "user_id"]

    func register(on router: Router<ServerContext>) {
        router.get("\(Self.prefix)/discovery") { _, _ in await refreshed().discovery() }
        router.get("\(Self.prefix)/processor-certificate.pem") { _, _ in
            await Response(
                status: .ok, headers: [.contentType: "application/x-pem-file", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: refreshed().settings.certificate)))
        }
        // OpenDSR's paths, and OpenGDPR's before them (§10.1).
        for requests in ["requests", "opengdpr_requests"] {
            router.post("\(Self.prefix)/\(requests)") { request, _ in await refreshed().file(request) }
            router.get("\(Self.prefix)/\(requests)/:id") { request, context in
                await refreshed().status(request, id: context.parameters.get("id") ?? "")
            }
            router.delete("\(Self.prefix)/\(requests)/:id") { request, context in
                await refreshed().cancel(request, id: context.parameters.get("id") ?? "")
            }
        }
    }

    func refreshed() async -> OpenDSR {
        guard let source else { return self }
        let now = await source.current()
        var copy = self
        if let opendsr = now.openDSR { copy.settings = opendsr } else { copy.settings.controllers = [:] }
        copy.publicURL = now.publicURL ?? publicURL
        return copy
    }

    // MARK: Endpoints

    func discovery() -> Response {
        var identities: [[String: String]] = []
        for (type, kind) in Self.identityKinds.sorted(by: { $0.key < $1.key }) where api.deployment.identityKinds.contains(kind) {
            for format in ["raw"] + IdentityDigest.allCases.map(\.rawValue) {
                identities.append(["identity_type": type, "identity_format": format])
            }
        }
        let types = settings.requestTypes.filter { api.deployment.rights[$0.value.right] != nil }.keys.sorted()
        return signed(
            .ok,
            Discovery(
                apiVersion: Self.apiVersion,
                supportedIdentities: identities.map {
                    .init(identityType: $0["identity_type"] ?? "", identityFormat: $0["identity_format"] ?? "")
                },
                supportedSubjectRequestTypes: types,
                processorCertificate: publicURL.appendingPathComponent("opendsr/v1/processor-certificate.pem").absoluteString))
    }

    func file(_ request: Request) async -> Response {
        let controller: String
        switch await authenticated(request) {
        case .success(let found): controller = found
        case .failure(let refusal): return refusal.response
        }
        guard let raw = try? await body(of: request), let filing = (try? JSONSerialization.jsonObject(with: raw)) as? [String: Any] else {
            return error(.badRequest, "the body must be a JSON object", reason: "InvalidJSON")
        }
        let known: Set<String> = [
            "regulation", "subject_request_id", "subject_request_type", "subject_identities", "submitted_time", "api_version",
            "status_callback_urls", "extensions",
        ]
        if let unknown = filing.keys.filter({ !known.contains($0) }).sorted().first {
            return error(.badRequest, "\(Self.safe(unknown)) is not a field of an OpenDSR request", reason: "UnknownField")
        }
        guard let regulation = filing["regulation"] as? String, ["gdpr", "ccpa"].contains(regulation) else {
            return error(.badRequest, "regulation is required: gdpr or ccpa", reason: "IllegalArgumentException")
        }
        guard let id = filing["subject_request_id"] as? String, Self.isLowercaseUUIDv4(id), let requestID = RequestID(id) else {
            return error(.badRequest, "subject_request_id is required: a lowercase UUID v4", reason: "IllegalArgumentException")
        }
        guard let type = filing["subject_request_type"] as? String, let mapped = settings.requestTypes[type],
            api.deployment.rights[mapped.right] != nil
        else {
            return error(
                .badRequest, "subject_request_type is not one this processor supports (see /discovery)", reason: "UnsupportedRequestType")
        }
        guard let submitted = filing["submitted_time"] as? String, Timestamp.date(submitted) != nil else {
            return error(.badRequest, "submitted_time is required: an RFC 3339 time", reason: "IllegalArgumentException")
        }
        guard let identities = filing["subject_identities"] as? [[String: Any]], !identities.isEmpty else {
            return error(.badRequest, "subject_identities is required", reason: "IllegalArgumentException")
        }
        var subject: SubjectIdentity?
        for identity in identities where subject == nil {
            guard let kind = identity["identity_type"] as? String, let value = identity["identity_value"] as? String,
                let format = identity["identity_format"] as? String
            else {
                return error(
                    .badRequest, "each identity has identity_type, identity_value and identity_format", reason: "IllegalArgumentException")
            }
            if let digest = IdentityDigest(rawValue: format) {
                // A hashed identity: the map's values of that kind are hashed the same way.
                guard let mappedKind = Self.identityKinds[kind], api.deployment.identityKinds.contains(mappedKind) else { continue }
                guard let wanted = digest.normalised(value) else {
                    return error(
                        .badRequest, "an identity_value in \(format) is not a \(format) digest", reason: "IllegalArgumentException")
                }
                subject = try? await api.deployment.services.data.identity(ofKind: mappedKind) { digest.matches($0, wanted) }
                if subject == nil {
                    return error(.badRequest, "no one this processor holds matches the hashed identity", reason: "NoMatch")
                }
                continue
            }
            guard format == "raw" else {
                return error(
                    .badRequest, "identity_format \(Self.safe(format)) is not supported (see /discovery)",
                    reason: "UnsupportedIdentityFormat")
            }
            if subject == nil, let mappedKind = Self.identityKinds[kind], api.deployment.identityKinds.contains(mappedKind), !value.isEmpty,
                value.count <= 320
            {
                subject = SubjectIdentity(kind: mappedKind, value: value)
            }
        }
        guard let subject else {
            return error(.badRequest, "no identity of a type this processor supports (see /discovery)", reason: "UnsupportedIdentityType")
        }
        var callbacks: [URL] = []
        for text in (filing["status_callback_urls"] as? [Any]) ?? [] {
            guard let text = text as? String, let url = URL(string: text),
                StandardsSettings.admits(url, allowed: settings.controllers[controller]?.callbacks ?? [])
            else {
                return error(.badRequest, "a status_callback_url is not an address this controller may use", reason: "CallbackNotAllowed")
            }
            callbacks.append(url)
        }
        if (try? await api.store.request(requestID)) != nil {
            return error(.badRequest, "subject_request_id was used before", reason: "DuplicateRequest")
        }
        var intake = RequestIntake(
            right: mapped.right, subject: subject, requester: .agent, requesterReference: "opendsr:\(controller)",
            parameters: mapped.parameters,
            channel: RequestChannel(standard: .openDSR, client: controller, reference: id, callbacks: callbacks, attestsIdentity: true))
        intake.id = requestID
        let filed: RightRequest
        do {
            filed = try await api.submitted { try await api.pipeline.submit(intake) }
        } catch let refusal as PipelineError {
            let problem = APIProblem(refusal, now: api.now)
            return error(problem.status == .tooManyRequests ? .tooManyRequests : .badRequest, problem.message, reason: "Refused")
        } catch {
            return self.error(.conflict, "subject_request_id was used before", reason: "DuplicateRequest")
        }
        return signed(
            .created,
            Created(
                controllerID: controller, expectedCompletionTime: Timestamp.string(filed.dueAt),
                receivedTime: Timestamp.string(filed.receivedAt),
                encodedRequest: raw.base64EncodedString(), subjectRequestID: id))
    }

    func status(_ request: Request, id: String) async -> Response {
        switch await filedByController(request, id: id) {
        case .success(let (filed, controller)):
            return signed(
                .ok,
                Self.status(
                    of: RequestStatusChange(filed, channel: filed.channel ?? RequestChannel(standard: .openDSR, client: controller)),
                    callback: nil))
        case .failure(let refusal): return refusal.response
        }
    }

    /// §9: a cancellation while the request is pending, answered 202.
    func cancel(_ request: Request, id: String) async -> Response {
        let filed: RightRequest
        let controller: String
        switch await filedByController(request, id: id) {
        case .success(let found): (filed, controller) = found
        case .failure(let refusal): return refusal.response
        }
        guard Self.requestStatus(filed.state) == "pending" else {
            return error(
                .badRequest, "only a pending request may be cancelled; this one is \(Self.requestStatus(filed.state))", reason: "NotPending"
            )
        }
        do {
            _ = try await api.pipeline.cancel(filed.id, actor: .requester(.agent, subject: filed.subjectKey))
        } catch {
            return self.error(.conflict, "the request moved on and can no longer be cancelled", reason: "NotPending")
        }
        return signed(
            .accepted,
            Cancelled(controllerID: controller, subjectRequestID: id, receivedTime: Timestamp.string(api.now), apiVersion: Self.apiVersion))
    }

    // MARK: Checks

    struct Refusal: Error {
        let response: Response
    }

    func authenticated(_ request: Request) async -> Result<String, Refusal> {
        guard let secret = request.headers.bearer?.token else {
            return .failure(
                Refusal(
                    response: error(
                        .unauthorized, "send the controller's token as Authorization: Bearer <token>", reason: "Unauthenticated")))
        }
        guard let token = try? await api.store.token(secret: secret), token.role == .controller, settings.controllers[token.name] != nil
        else {
            return .failure(
                Refusal(response: error(.forbidden, "the token is unknown, revoked or not a declared controller's", reason: "Forbidden")))
        }
        return .success(token.name)
    }

    /// The request `id` names when this controller filed it; 404 for anyone else's, as for none.
    func filedByController(_ request: Request, id: String) async -> Result<(RightRequest, String), Refusal> {
        let controller: String
        switch await authenticated(request) {
        case .success(let found): controller = found
        case .failure(let refusal): return .failure(refusal)
        }
        guard let requestID = RequestID(id), let filed = try? await api.store.request(requestID), filed.channel?.standard == .openDSR,
            filed.channel?.client == controller
        else {
            return .failure(Refusal(response: error(.notFound, "no such request", reason: "NotFound")))
        }
        return .success((filed, controller))
    }

    // MARK: Bodies

    struct Discovery: Encodable {
        struct Identity: Encodable {
            var identityType: String
            var identityFormat: String
        }
        var apiVersion: String
        var supportedIdentities: [Identity]
        var supportedSubjectRequestTypes: [String]
        var processorCertificate: String
    }

    struct Created: Encodable {
        var controllerID: String
        var expectedCompletionTime: String
        var receivedTime: String
        var encodedRequest: String
        var subjectRequestID: String
    }

    struct Cancelled: Encodable {
        var controllerID: String
        var subjectRequestID: String
        var receivedTime: String
        var apiVersion: String
    }

    /// The status object (§8.3), and the callback body (§8.6) when `callback` is the address.
    struct Status: Encodable {
        var controllerID: String
        var expectedCompletionTime: String
        var subjectRequestID: String
        var requestStatus: String
        var apiVersion: String
        var statusCallbackURL: String?
    }

    static func status(of change: RequestStatusChange, callback: URL?) -> Status {
        Status(
            controllerID: change.channel.client, expectedCompletionTime: Timestamp.string(change.dueAt),
            subjectRequestID: change.channel.reference ?? change.request.rawValue, requestStatus: requestStatus(change.state),
            apiVersion: apiVersion, statusCallbackURL: callback?.absoluteString)
    }

    /// OpenDSR's four statuses (§8). It has none for a refusal: a denied request is reported
    /// `completed` (the processor finished with it), which is the reading taken here.
    static func requestStatus(_ state: RequestState) -> String {
        switch state {
        case .received, .awaitingVerification, .verified, .awaitingFee, .awaitingReview: "pending"
        case .inProgress, .needsAttention: "in_progress"
        case .completed, .partiallyCompleted, .denied: "completed"
        case .cancelled: "cancelled"
        }
    }

    // MARK: Signed responses

    /// The headers that sign `body`: the processor's domain and the Base64 ECDSA signature of
    /// its SHA-256 (DER), under OpenDSR's names and OpenGDPR's.
    static func signatureHeaders(_ body: Data, settings: OpenDSRSettings) -> [(String, String)] {
        guard let key = settings.key, let signature = try? key.signature(for: body) else { return [] }
        let encoded = signature.derRepresentation.base64EncodedString()
        return [
            ("X-OpenDSR-Processor-Domain", settings.processorDomain), ("X-OpenDSR-Signature", encoded),
            ("X-OpenGDPR-Processor-Domain", settings.processorDomain), ("X-OpenGDPR-Signature", encoded),
        ]
    }

    func signed(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? StandardJSON.encode(value)) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        for (name, value) in Self.signatureHeaders(data, settings: settings) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The error object of §7.6; never a value the controller sent about a person.
    func error(_ status: HTTPResponse.Status, _ message: String, reason: String) -> Response {
        struct Detail: Encodable {
            var domain: String
            var reason: String
            var message: String
        }
        struct Problem: Encodable {
            var code: Int
            var message: String
            var errors: [Detail]
        }
        struct Body: Encodable { var error: Problem }
        return signed(
            status,
            Body(
                error: Problem(
                    code: Int(status.code), message: message, errors: [Detail(domain: "Validation", reason: reason, message: message)])))
    }

    func body(of request: Request) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: bodyLimit)
        return Data(buffer.readableBytesView)
    }

    static func isLowercaseUUIDv4(_ text: String) -> Bool {
        guard text == text.lowercased(), let uuid = UUID(uuidString: text) else { return false }
        return uuid.uuid.6 >> 4 == 4
    }

    static func safe(_ text: String) -> String {
        String(text.prefix(40).filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
    }
}

/// OpenDSR's hashed identity formats (§5.2): a digest of the identity's value, matched by
/// hashing the map's values the same way (as stored, and lower-cased, as controllers normalise
/// an email before hashing it).
enum IdentityDigest: String, CaseIterable {
    case sha256, sha1, md5

    func hex(_ value: String) -> String {
        let data = Data(value.utf8)
        let bytes: [UInt8] =
            switch self {
            case .sha256: Array(SHA256.hash(data: data))
            case .sha1: Array(Insecure.SHA1.hash(data: data))
            case .md5: Array(Insecure.MD5.hash(data: data))
            }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    var length: Int {
        switch self {
        case .sha256: 32
        case .sha1: 20
        case .md5: 16
        }
    }

    /// The digest as lower-case hex, from hex or Base64; nil when it is neither, or the wrong size.
    func normalised(_ given: String) -> String? {
        let text = given.trimmingCharacters(in: .whitespaces)
        if text.count == length * 2, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        if let data = Data(base64Encoded: text), data.count == length { return data.map { String(format: "%02x", $0) }.joined() }
        return nil
    }

    func matches(_ value: String, _ wanted: String) -> Bool {
        hex(value) == wanted || hex(value.lowercased().trimmingCharacters(in: .whitespaces)) == wanted
    }
}
