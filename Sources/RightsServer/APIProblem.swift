import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIRuntime
import RightsKernel

/// A client mistake or a refusal, answered as `{"error": {"code", "message", "field"?}}`. The
/// message says what to fix and never echoes a value the client sent.
struct APIProblem: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?
    /// Seconds until a rate-limited client may try again.
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    static func invalid(_ field: String, _ message: String) -> APIProblem {
        APIProblem(.badRequest, "invalid_field", message, field: field)
    }

    /// The same answer for a request that does not exist and for a wrong secret, so nobody
    /// learns which ids exist.
    static let requestNotFound = APIProblem(.notFound, "not_found", "no such request, or the secret does not match it")

    /// A body in another media type than the JSON the document describes.
    static let notJSON = APIProblem(.unsupportedMediaType, "unsupported_media_type", "send the body as application/json")

    static func forbidden(_ role: String) -> APIProblem {
        APIProblem(.forbidden, "forbidden", "the \(role) role may not use this endpoint")
    }

    /// The kernel's refusal as an HTTP answer: the status from its kind (the one place they
    /// are mapped), the problem code from its name, the field it names.
    init(_ error: PipelineError, now: Date) {
        let code = error.code.description.replacingOccurrences(of: "-", with: "_")
        switch error.code.kind {
        case .notFound: self = .requestNotFound
        case .conflict, .notNow, .workFailed: self.init(.conflict, code, error.message, field: error.field)
        case .rateLimited:
            let wait = error.retryAfter.map { max(1, Int($0.timeIntervalSince(now).rounded(.up))) } ?? 60
            self.init(.tooManyRequests, code, error.message, retryAfter: wait)
        case .invalid, .unacceptable: self.init(.badRequest, code, error.message, field: error.field ?? Self.field(of: error.code))
        case .verificationFailed: self.init(.unprocessableContent, code, error.message, field: "code")
        }
    }

    /// The request field a refusal is about when the kernel names none.
    private static func field(of code: PipelineError.Code) -> String? {
        switch code {
        case .rightNotEnabled: "right"
        case .requesterNotAccepted: "requester"
        default: nil
        }
    }

    var response: Response {
        struct Body: Encodable {
            struct Detail: Encodable {
                var code: String
                var message: String
                var field: String?
            }
            var error: Detail
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data =
            (try? encoder.encode(Body(error: .init(code: code, message: message, field: field))))
            ?? Data(#"{"error":{"code":"internal","message":"unencodable error"}}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a request raises into a JSON problem: the handlers' own, the kernel's,
/// the generated code's decoding errors (400 with the field), the router's 404 and 405, and
/// bodies over the limit (413). An error nobody expected is logged by type only and answered 500.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let bodyLimit: Int
    let clock: any WallClock

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        do {
            var request = request
            if let length = request.headers[.contentLength].flatMap(Int.init), length > bodyLimit {
                throw APIProblem(
                    .contentTooLarge, "body_too_large", "the body is over the limit of \(bodyLimit) bytes (server.body_limit_bytes)")
            }
            _ = try await request.collectBody(upTo: bodyLimit)
            return try await next(request, context)
        } catch {
            let problem = problem(for: error)
            if problem.status.code >= 500 {
                context.logger.error(
                    "unexpected failure", metadata: ["error.type": "\(String(reflecting: type(of: Self.innermost(error))))"])
            }
            return problem.response
        }
    }

    func problem(for error: any Error) -> APIProblem {
        let error = Self.innermost(error)
        switch error {
        case let problem as APIProblem:
            return problem
        case let error as PipelineError:
            return APIProblem(error, now: clock.now)
        case let error as DecodingError:
            return Self.decoding(error)
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound: return APIProblem(.notFound, "not_found", "no such endpoint")
            case .methodNotAllowed: return APIProblem(.methodNotAllowed, "method_not_allowed", "this endpoint does not take that method")
            case .contentTooLarge:
                return APIProblem(
                    .contentTooLarge, "body_too_large", "the body is over the limit of \(bodyLimit) bytes (server.body_limit_bytes)")
            case let status where status.kind == .clientError: return APIProblem(status, "bad_request", status.reasonPhrase)
            default: return APIProblem(.internalServerError, "internal", "the server failed; the request was not changed")
            }
        default:
            // The generated code's own input errors (a malformed path or query parameter, a
            // missing body, a wrong content type) are `RuntimeError`s, which are not public.
            if String(reflecting: type(of: error)).contains("OpenAPIRuntime") {
                return APIProblem(.badRequest, "bad_request", "the request does not match the API document (see /openapi.yaml)")
            }
            return APIProblem(.internalServerError, "internal", "the server failed; the request was not changed")
        }
    }

    /// The error under the generated code's wrappers.
    static func innermost(_ error: any Error) -> any Error {
        if let error = error as? ServerError { return innermost(error.underlyingError) }
        return error
    }

    /// A body that is not the JSON the document describes: says which field and how, never the value.
    static func decoding(_ error: DecodingError) -> APIProblem {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String? {
            let keys = context.codingPath.map(\.stringValue) + (key.map { [$0.stringValue] } ?? [])
            let joined = keys.filter { !$0.isEmpty }.joined(separator: ".")
            return joined.isEmpty ? nil : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context, key)
            return APIProblem(.badRequest, "missing_field", "\(field ?? key.stringValue) is required", field: field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context)
            return APIProblem(.badRequest, "invalid_field", "\(field ?? "the body") has the wrong type", field: field)
        case .dataCorrupted(let context):
            let field = path(context)
            // The generated decoders refuse a key the document does not declare this way.
            if let field, context.debugDescription.hasPrefix("Additional properties are disabled") {
                return APIProblem(.badRequest, "unknown_field", "\(field) is not a field of this body; nothing was recorded", field: field)
            }
            if let field { return APIProblem(.badRequest, "invalid_field", "\(field) is not a valid value", field: field) }
            return APIProblem(.badRequest, "bad_json", "the body is not valid JSON")
        @unknown default:
            return APIProblem(.badRequest, "bad_json", "the body is not valid JSON")
        }
    }
}
