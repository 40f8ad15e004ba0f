import Foundation
import NIOHTTP1
import RightsTesting
import Testing

/// Client rate limits behind the reverse proxy the README prescribes: the forwarded client is
/// counted when, and only when, the peer is a trusted proxy; IPv6 clients count per /64.
@Suite("Rate limits that know the proxy")
struct TrustedProxyTests {
    /// The repository's deployment allowing 3 filings a minute per client, with `proxies` trusted.
    static func server(trusting proxies: String) async throws -> ServedDeployment {
        try await ServedDeployment(
            config: try ServedDeployment.repositoryConfig(server: "  trusted_proxies: \(proxies)\n").replacingOccurrences(
                of: "filings_per_minute: 100000", with: "filings_per_minute: 3"))
    }

    /// Files one request as if from behind a proxy that says it forwards for `client`.
    static func file(_ server: ServedDeployment, forwardedFor client: String, header: String = "X-Forwarded-For") async throws -> Int {
        let filing: [String: Any] = ["right": "access", "subject": ["kind": "email", "value": "user9@example.cn"]]
        return try await server.call(.POST, "/v1/requests", json: filing, headers: [header: client]).status
    }

    @Test func behindATrustedProxyEachForwardedClientHasItsOwnAllowance() async throws {
        let server = try await Self.server(trusting: "[127.0.0.1, \"10.0.0.0/8\"]")
        for _ in 0..<3 { #expect(try await Self.file(server, forwardedFor: "203.0.113.5") == 201) }
        #expect(try await Self.file(server, forwardedFor: "203.0.113.5") == 429, "the forwarded client is counted")
        // Another user behind the same proxy is not shut out; nor is one behind a second trusted
        // hop, nor one named by RFC 7239's Forwarded header.
        #expect(try await Self.file(server, forwardedFor: "203.0.113.6") == 201)
        #expect(try await Self.file(server, forwardedFor: "203.0.113.7, 10.1.2.3") == 201)
        #expect(try await Self.file(server, forwardedFor: "for=198.51.100.17;proto=https", header: "Forwarded") == 201)
        // IPv6 clients are counted per /64: rotating addresses inside one gains nothing.
        for host in 1...3 { #expect(try await Self.file(server, forwardedFor: "2001:db8:0:1::\(host)") == 201) }
        #expect(try await Self.file(server, forwardedFor: "2001:db8:0:1::ffff") == 429)
        #expect(try await Self.file(server, forwardedFor: "2001:db8:0:2::1") == 201, "the next /64 is someone else")
    }

    @Test func aForgedHeaderFromAnUntrustedPeerCountsThePeer() async throws {
        let server = try await Self.server(trusting: "[\"10.0.0.0/8\"]")
        for index in 0..<3 { #expect(try await Self.file(server, forwardedFor: "203.0.113.\(index)") == 201) }
        #expect(try await Self.file(server, forwardedFor: "203.0.113.99") == 429, "a forged X-Forwarded-For changes nothing")
        #expect(try await Self.file(server, forwardedFor: "for=198.51.100.1", header: "Forwarded") == 429)
    }

    @Test func aBadTrustedProxyIsNamedWithItsLocation() async throws {
        let cli = try CommandLineRunner(
            config: try ServedDeployment.repositoryConfig(server: "  trusted_proxies: [\"10.0.0.0/33\"]\n"), executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let refused = try await cli.run("serve", "--port", "0")
        #expect(refused.status != 0)
        #expect(refused.errors.contains("trusted_proxies") && refused.errors.contains("config.yaml:"), "\(refused.errors)")
    }
}
