import Foundation
import NIOHTTP1
import RightsTesting
import Testing

/// Reads a client can ask for are bounded: admin lists come a page at a time, `/metrics`
/// counts the ledger at most once per refresh and may require a token.
@Suite("Bounded reads")
struct BoundedReadsTests {
    @Test func theQueueAndTheOutboxComeAPageAtATime() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let token = try await server.token("operator", name: "desk")
        let auth = ["Authorization": "Bearer \(token)"]
        for index in 1...7 { _ = try await server.file("access", subject: "email:user\(index)@example.cn") }
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let path = "/v1/admin/requests?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await server.call(.GET, path, headers: auth)
            #expect(page.status == 200, "\(page.text)")
            let ids = (page.json["requests"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.count <= 3)
            seen += ids
            cursor = page.json["next"] as? String
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3 && seen.count == 7 && Set(seen).count == 7, "every request once, over three pages: \(seen)")

        let outbox = try await server.call(.GET, "/v1/admin/outbox?limit=5", headers: auth)
        #expect((outbox.json["messages"] as? [Any])?.count == 5 && outbox.json["next"] != nil, "\(outbox.text)")
        let rest = try await server.call(.GET, "/v1/admin/outbox?limit=5&cursor=\(outbox.json["next"] as? String ?? "")", headers: auth)
        #expect((rest.json["messages"] as? [Any])?.count == 2 && rest.json["next"] == nil, "\(rest.text)")

        let tooMany = try await server.call(.GET, "/v1/admin/requests?limit=501", headers: auth)
        #expect(tooMany.status == 400 && (tooMany.json["error"] as? [String: Any])?["field"] as? String == "limit")
        let badCursor = try await server.call(.GET, "/v1/admin/requests?cursor=nonsense", headers: auth)
        #expect(badCursor.status == 400)
    }

    @Test func metricsCountTheLedgerOncePerRefreshAndCanRequireAToken() async throws {
        let secret = "metrics-token-0123456789"
        let server = try await ServedDeployment(
            config: try ServedDeployment.repositoryConfig(
                server: "  metrics: { token_env: RIGHTSKIT_TEST_METRICS_TOKEN, refresh_seconds: 600 }\n"),
            environment: ["RIGHTSKIT_TEST_METRICS_TOKEN": secret])
        #expect(try await server.call(.GET, "/metrics").status == 401)
        #expect(try await server.call(.GET, "/metrics", headers: ["Authorization": "Bearer wrong-token-0123456789"]).status == 401)
        let auth = ["Authorization": "Bearer \(secret)"]
        /// The gauge of access requests awaiting verification, as scraped.
        func awaiting(_ text: String) -> Double? {
            text.split(separator: "\n").first {
                $0.hasPrefix("rightskit_requests{") && $0.contains("right=\"access\"") && $0.contains("state=\"awaitingVerification\"")
            }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        }
        _ = try await server.file("access", subject: "email:user1@example.cn")
        let first = try await server.call(.GET, "/metrics", headers: auth)
        #expect(first.status == 200)
        #expect(awaiting(first.text) == 1, "\(first.text)")
        // Within the refresh the ledger is not counted again: scrapes cost no query.
        _ = try await server.file("access", subject: "email:user2@example.cn")
        let second = try await server.call(.GET, "/metrics", headers: auth)
        #expect(awaiting(second.text) == 1, "counted at most every refresh_seconds: \(String(describing: awaiting(second.text)))")
    }
}
