import HTTPTypes
import Hummingbird

/// Headers every response carries, and what a downloaded result file needs on top.
///
/// Every answer may hold a request's secret, a subject's data or an operator's view, so none is
/// kept by a browser or a shared cache (`Cache-Control: no-store`), and none is sniffed into
/// another type (`X-Content-Type-Options: nosniff`). A result file is served with its own media
/// type (the API document can only say "binary"), as an attachment, and an HTML page under a
/// policy that runs nothing: subject data inside it can never become script.
struct ResponseHeadersMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    /// What a result page may load: its own inline styles, nothing else; no script, no form,
    /// no frame around it.
    static let resultPagePolicy =
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.status == .ok, let name = Self.resultFileName(request.uri.path) {
            let mediaType = ResultFiles.mediaType(String(name.split(separator: ".").last ?? ""))
            response.headers[.contentType] = mediaType
            // Result names are ours (letters, digits, dots, dashes), so they need no escaping.
            response.headers[.contentDisposition] = "attachment; filename=\"\(name)\""
            if mediaType.hasPrefix("text/html") { response.headers[.contentSecurityPolicy] = Self.resultPagePolicy }
        }
        return response
    }

    /// The file name of a `/v1/requests/{id}/results/{name}` path (the API's) or a
    /// `/requests/{id}/results/{name}` path (the privacy centre's).
    static func resultFileName(_ path: String) -> String? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 6, parts[1] == "v1" { parts.remove(at: 1) }
        guard parts.count == 5, parts[1] == "requests", parts[3] == "results", !parts[4].isEmpty else { return nil }
        return String(parts[4])
    }
}
