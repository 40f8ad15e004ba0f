import Foundation
import Hummingbird
import RightsKernel
import RightsStorage

/// Proof that a form was sent from one of our own pages: each page puts a random token in a
/// hidden field and the same token in a `SameSite=Strict`, `HttpOnly` cookie; a post whose field
/// and cookie differ (another site's form, a forged or another browser's cookie) changes nothing.
struct FormGuard: Sendable {
    static let cookieName = "rightskit-form"

    /// The token of the browser's cookie when it has a well-formed one, else a fresh one (and the
    /// cookie that carries it).
    static func token(for request: Request) -> (token: String, cookie: Cookie?) {
        if let value = request.cookies[cookieName]?.value, isWellFormed(value) { return (value, nil) }
        let token = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64URLEncoded
        return (token, Cookie(name: cookieName, value: token, path: "/", secure: true, httpOnly: true, sameSite: .strict))
    }

    /// Whether `field` (the form's hidden token) matches the request's cookie, in constant time.
    static func admits(_ request: Request, field: String?) -> Bool {
        guard let field, let cookie = request.cookies[cookieName]?.value, isWellFormed(cookie) else { return false }
        return RequestSecrets.constantTimeEqual(cookie, field)
    }

    private static func isWellFormed(_ value: String) -> Bool {
        value.utf8.count == 43
            && value.utf8.allSatisfy { $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }
}

/// The cookie that opens one request's page in this browser: its secret, sent back only to that
/// request's own paths, never shown in an address.
enum RequestCookie {
    static let name = "rightskit-request"

    static func setting(_ secret: String, for id: RightsKernel.RequestID) -> Cookie {
        Cookie(name: name, value: secret, path: "/requests/\(id.rawValue)", secure: true, httpOnly: true, sameSite: .strict)
    }

    static func secret(in request: Request) -> String? { request.cookies[name]?.value }
}
