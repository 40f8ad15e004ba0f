import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
public import RightsKernel

/// The transport for requests a module sends to other organisations (a portability transfer):
/// AsyncHTTPClient, the client the server already uses for webhooks, never following a redirect
/// (a 3xx is the recipient's answer, not an instruction to carry the data elsewhere). Composition
/// roots inject it as ``Services/http``; a module reaches it only through its allow-list.
public struct AsyncHTTPOutbound: OutboundHTTP {
    /// One client for the process: connections are pooled across transfers.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled))

    public init() {}

    public func post(_ body: Data, to url: URL, headers: [String: String], timeout: Duration) async throws -> Int {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await Self.client.execute(request, timeout: .nanoseconds(Int64(timeout / .nanoseconds(1))))
        // The answer's body is not read: only its status matters, and it may be large.
        return Int(response.status.code)
    }
}
