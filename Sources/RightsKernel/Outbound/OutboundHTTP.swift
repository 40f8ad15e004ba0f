public import Foundation

/// HTTP requests a module sends to other organisations (a portability transfer), through the
/// client the composition root injects in ``Services/http``. A module never calls it directly:
/// it asks for ``allowing(_:)`` with the origins its settings list, and anything else is
/// refused before a connection is made.
public protocol OutboundHTTP: Sendable {
    /// POSTs `body`; the response's status code. A redirect is an answer, never followed.
    func post(_ body: Data, to url: URL, headers: [String: String], timeout: Duration) async throws -> Int
}

extension OutboundHTTP {
    /// This client, limited to the origins of `list`.
    public func allowing(_ list: OutboundAllowList) -> AllowListedHTTP {
        AllowListedHTTP(list: list, transport: self)
    }
}

/// The origins (scheme, host, port) a module may reach: `https` only, or plain `http` to a
/// loopback address when a test deployment allows it.
public struct OutboundAllowList: Sendable, Equatable {
    public private(set) var origins: Set<String> = []
    public let allowsLoopbackHTTP: Bool

    public init(allowsLoopbackHTTP: Bool = false) {
        self.allowsLoopbackHTTP = allowsLoopbackHTTP
    }

    /// Adds `url`'s origin; why not, when its scheme or host cannot carry personal data.
    public mutating func allow(_ url: URL) throws(OutboundRefusal) {
        guard let host = url.host, !host.isEmpty else { throw .notAURL(url.absoluteString) }
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
        guard url.scheme == "https" || (url.scheme == "http" && loopback && allowsLoopbackHTTP) else { throw .plainHTTP }
        origins.insert(Self.origin(of: url))
    }

    /// Whether `url` is on an allowed origin.
    public func permits(_ url: URL) -> Bool { origins.contains(Self.origin(of: url)) }

    static func origin(of url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }
}

/// Why an outbound request is refused.
public enum OutboundRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case notAURL(String)
    case plainHTTP
    case notAllowed(origin: String)
    /// The composition root injected no outbound client.
    case noTransport

    public var description: String {
        switch self {
        case .notAURL(let text): "expected an https URL, found '\(text)'"
        case .plainHTTP:
            "a transfer carries personal data, so only https is allowed (plain http only to a loopback address, with allow_loopback_http: true in a test deployment)"
        case .notAllowed(let origin): "\(origin) is not on the module's allow-list"
        case .noTransport: "this deployment was composed without an outbound HTTP client"
        }
    }
}

/// An outbound client that refuses every origin its list does not hold, before connecting.
public struct AllowListedHTTP: OutboundHTTP {
    public let list: OutboundAllowList
    let transport: any OutboundHTTP

    public func post(_ body: Data, to url: URL, headers: [String: String], timeout: Duration) async throws -> Int {
        guard list.permits(url) else { throw OutboundRefusal.notAllowed(origin: OutboundAllowList.origin(of: url)) }
        return try await transport.post(body, to: url, headers: headers, timeout: timeout)
    }
}

/// The transport of a composition that injected none: every request is refused before a
/// connection is made (a deployment's composition root injects AsyncHTTPClient's).
public struct NoOutboundHTTP: OutboundHTTP {
    public init() {}

    public func post(_ body: Data, to url: URL, headers: [String: String], timeout: Duration) async throws -> Int {
        throw OutboundRefusal.noTransport
    }
}
