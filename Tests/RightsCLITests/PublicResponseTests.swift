import Foundation
import NIOHTTP1
import RightsTesting
import Testing

/// What every answer of a public server carries, and what it refuses, over real HTTP.
@Suite("Responses fit to face the public")
struct PublicResponseTests {
    @Test func aBodyWithAFieldTheDocumentDoesNotDeclareIsRefusedAndNothingRecorded() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let token = try await server.token("operator", name: "desk")
        let subject: [String: Any] = ["kind": "email", "value": "user3@example.cn"]
        let refusals: [(String, Any, String)] = [
            ("/v1/requests", ["right": "access", "subject": subject, "callback": "https://attacker.example"], "callback"),
            (
                "/v1/requests", ["right": "access", "subject": ["kind": "email", "value": "user3@example.cn", "verified": true]],
                "subject.verified"
            ),
        ]
        for (path, body, field) in refusals {
            let reply = try await server.call(.POST, path, json: body)
            #expect(reply.status == 400 && reply.problem == "unknown_field", "\(field): \(reply.text)")
            #expect((reply.json["error"] as? [String: Any])?["field"] as? String == field, "\(reply.text)")
        }
        let filed = try await server.file("access", subject: "email:user3@example.cn")
        let answer = try await server.call(
            .POST, "/v1/requests/\(filed.id)/verification", json: ["code": try await server.code(for: filed.id), "trusted": true],
            headers: ["X-Request-Secret": filed.secret])
        #expect(answer.status == 400 && answer.problem == "unknown_field", "\(answer.text)")
        let hold = try await server.call(
            .POST, "/v1/admin/holds", json: ["ground": "litigation", "authority": "court", "scope": "all"],
            headers: ["Authorization": "Bearer \(token)"])
        #expect(hold.status == 400 && hold.problem == "unknown_field", "\(hold.text)")
        // Only the one clean filing was recorded, and it still waits for its code.
        let queue = try await server.call(.GET, "/v1/admin/requests", headers: ["Authorization": "Bearer \(token)"])
        let requests = queue.json["requests"] as? [[String: Any]] ?? []
        #expect(requests.count == 1 && requests.first?["state"] as? String == "awaitingVerification", "\(queue.text)")
        #expect(
            (try await server.call(.GET, "/v1/admin/holds", headers: ["Authorization": "Bearer \(token)"]).json["holds"] as? [Any])?.isEmpty
                == true)
    }

    @Test func noAnswerIsStoredAndAResultPageRunsNothing() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let token = try await server.token("auditor", name: "audit")
        let filed = try await server.file("access", subject: "email:user4@example.cn")
        let secret = ["X-Request-Secret": filed.secret]
        let verified = try await server.verify(filed.id, secret: filed.secret)
        var replies: [(String, ServedDeployment.Reply)] = [
            ("filing (carries the secret)", filed.reply), ("verification", verified),
            ("status", try await server.call(.GET, "/v1/requests/\(filed.id)", headers: secret)),
            ("results", try await server.call(.GET, "/v1/requests/\(filed.id)/results", headers: secret)),
            ("wrong secret", try await server.call(.GET, "/v1/requests/\(filed.id)", headers: ["X-Request-Secret": "nope"])),
            ("admin", try await server.call(.GET, "/v1/admin/requests", headers: ["Authorization": "Bearer \(token)"])),
            ("unknown path", try await server.call(.GET, "/v1/nothing-here")),
            ("rights", try await server.call(.GET, "/v1/rights")),
        ]
        let page = try await server.call(.GET, "/v1/requests/\(filed.id)/results/access.html", headers: secret)
        replies.append(("page", page))
        for (what, reply) in replies {
            #expect(reply.headers["cache-control"] == "no-store", "\(what): \(reply.headers)")
            #expect(reply.headers["x-content-type-options"] == "nosniff", "\(what)")
        }
        #expect(page.status == 200 && page.text.contains("<html"))
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.headers["content-disposition"] == "attachment; filename=\"access.html\"")
        let policy = try #require(page.headers["content-security-policy"])
        #expect(policy.hasPrefix("default-src 'none'") && !policy.contains("script"), "\(policy)")
        let json = try await server.call(.GET, "/v1/requests/\(filed.id)/results/access.json", headers: secret)
        #expect(
            json.headers["content-type"] == "application/json"
                && json.headers["content-disposition"] == "attachment; filename=\"access.json\"")
        #expect((try? JSONSerialization.jsonObject(with: json.body)) != nil, "the streamed file arrives whole")
    }
}
