import AsyncHTTPClient
import Foundation
import GRDB
import NIOHTTP1
import RightsTesting
import Testing

/// `rightskit serve` over real HTTP on loopback: every enabled right from filing to result, the
/// roles, the request secrets and every class of client mistake.
@Suite("rightskit serve over HTTP", .serialized)
struct ServeTests {
    /// Files, verifies (when a code is asked) and returns the request as the subject sees it.
    func filedAndVerified(_ server: ServedDeployment, _ right: String, subject: String, parameters: [String: String] = [:]) async throws
        -> (id: String, secret: String, state: String)
    {
        let filed = try await server.file(right, subject: subject, parameters: parameters)
        #expect(filed.reply.status == 201, "\(right): \(filed.reply.text)")
        guard (filed.reply.json["request"] as? [String: Any])?["state"] as? String == "awaitingVerification" else {
            return (filed.id, filed.secret, (filed.reply.json["request"] as? [String: Any])?["state"] as? String ?? "?")
        }
        let verified = try await server.verify(filed.id, secret: filed.secret)
        #expect(verified.status == 200, "\(right): \(verified.text)")
        return (filed.id, filed.secret, verified.json["state"] as? String ?? "?")
    }

    @Test("the README's first command on a fresh folder: serve seeds the sample, and its curl walk works")
    func readmeWalk() async throws {
        let server = try await ServedDeployment(config: try CommandLineRunner.repositoryConfig)
        let started = (try? String(contentsOf: server.output, encoding: .utf8)) ?? ""
        #expect(FileManager.default.fileExists(atPath: server.runner.directory.file("data/sample-business.sqlite")))
        #expect(started.contains("\"listening\""))
        #expect(try await server.call(.GET, "/v1/rights").status == 200)
        let filed = try await server.file("access", subject: "email:user1@example.cn")
        #expect((filed.reply.json["request"] as? [String: Any])?["state"] as? String == "awaitingVerification")
        let outbox = try await server.runner.run("outbox", "--request", filed.id)
        #expect(outbox.output.contains("verification-code to email user1@example.cn"))
        let verified = try await server.verify(filed.id, secret: filed.secret)
        #expect(verified.json["state"] as? String == "completed")
        #expect(
            try await server.call(.GET, "/v1/requests/\(filed.id)/results", headers: ["X-Request-Secret": filed.secret]).text.contains(
                "access.html"))
        let page = try await server.call(.GET, "/v1/requests/\(filed.id)/results/access.html", headers: ["X-Request-Secret": filed.secret])
        #expect(page.status == 200 && page.text.contains("<html"))
        let document = try await server.call(.GET, "/openapi.yaml")
        #expect(document.status == 200 && document.text.contains("operationId: fileRequest"))

        // A second server on the same port says why it cannot start.
        let clash = try await server.runner.run("serve", "--port", "\(server.port)")
        #expect(clash.status == 1)
        #expect(clash.errors.contains("the address is in use"), "\(clash.errors)")
    }

    @Test("one request of each enabled right, from filing to its result, over HTTP")
    func everyRight() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let operatorToken = try await server.token("operator", name: "desk")
        let reviewerToken = try await server.token("reviewer", name: "reviewer")

        let rights = try await server.call(.GET, "/v1/rights")
        let listed = (rights.json["rights"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(listed.count == 9)

        let access = try await filedAndVerified(server, "access", subject: "email:user1@example.cn")
        #expect(access.state == "completed")
        let files = try await server.call(.GET, "/v1/requests/\(access.id)/results", headers: ["X-Request-Secret": access.secret])
        let names = (files.json["files"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(names) == ["access.json", "access.html"])
        let page = try await server.call(
            .GET, "/v1/requests/\(access.id)/results/access.json", headers: ["X-Request-Secret": access.secret])
        #expect(page.status == 200)
        #expect(page.text.contains("user1@example.cn"), "the subject's own export holds their data")

        #expect(
            try await filedAndVerified(
                server, "correction", subject: "email:user2@example.cn",
                parameters: ["field": "user.contact.phone", "value": "+8613912345678"]
            ).state == "completed")
        #expect(
            ["completed", "partiallyCompleted"].contains(
                try await filedAndVerified(
                    server, "erasure", subject: "email:user4@example.cn", parameters: ["ground": "consent-withdrawn"]
                ).state))
        #expect(
            try await filedAndVerified(
                server, "consent-withdrawal", subject: "email:user7@example.cn", parameters: ["purpose": "marketing"]
            ).state == "completed")
        #expect(
            ["completed", "partiallyCompleted"].contains(
                try await filedAndVerified(
                    server, "account-cancellation", subject: "email:user8@example.cn", parameters: ["confirm": "irreversible"]
                ).state))
        #expect(try await filedAndVerified(server, "explanation", subject: "email:user11@example.cn").state == "completed")

        // A copy needs the identity desk: verified by code, then approved by an operator.
        let copy = try await filedAndVerified(server, "portability", subject: "email:user10@example.cn", parameters: ["mode": "copy"])
        #expect(copy.state == "awaitingReview")
        let approved = try await server.call(
            .POST, "/v1/admin/requests/\(copy.id)/approve", headers: ["Authorization": "Bearer \(operatorToken)"])
        #expect(approved.json["state"] as? String == "completed", "\(approved.text)")
        let copyFiles = try await server.call(.GET, "/v1/requests/\(copy.id)/results", headers: ["X-Request-Secret": copy.secret])
        let zipName = try #require(
            (copyFiles.json["files"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.first { $0.hasSuffix(".zip") })
        let zip = try await server.call(.GET, "/v1/requests/\(copy.id)/results/\(zipName)", headers: ["X-Request-Secret": copy.secret])
        #expect(zip.body.prefix(2) == Data("PK".utf8))

        // Arrangements in advance, then a close relative's request, which a reviewer approves.
        #expect(
            try await filedAndVerified(server, "post-mortem", subject: "email:user13@example.cn", parameters: ["deny": "delete"]).state
                == "completed")
        let relative = try await server.file(
            "post-mortem", subject: "email:user13@example.cn", requester: "close-relative", contact: "email:relative@example.cn",
            reference: "household-register-9",
            parameters: [
                "action": "access", "death_proof": "death-cert-001", "relationship_proof": "household-register-9",
                "interest": "settling the estate",
            ]
        )
        #expect((relative.reply.json["request"] as? [String: Any])?["state"] as? String == "awaitingVerification", "\(relative.reply.text)")
        let confirmed = try await server.verify(relative.id, secret: relative.secret)
        #expect(confirmed.json["state"] as? String == "awaitingReview", "the relative's contact confirmed: \(confirmed.text)")
        let reviewed = try await server.call(
            .POST, "/v1/admin/requests/\(relative.id)/approve", headers: ["Authorization": "Bearer \(reviewerToken)"])
        #expect(reviewed.json["state"] as? String == "completed", "\(reviewed.text)")

        // A discontinuation is announced by an operator; erasure waits for its end date.
        let notice = try await server.call(
            .POST, "/v1/admin/discontinuations", json: ["product": "bos", "ends": "2027-01-31", "reference": "board-2026-11"],
            headers: ["Authorization": "Bearer \(operatorToken)"])
        #expect(notice.status == 201, "\(notice.text)")
        #expect(notice.json["state"] as? String == "inProgress")

        let audit = try await server.call(.GET, "/v1/admin/audit/verification", headers: ["Authorization": "Bearer \(operatorToken)"])
        #expect(audit.json["intact"] as? Bool == true)
        #expect(try await server.runner.run("audit", "verify").status == 0)
    }

    @Test("a subject asks for a new code, and accepts or declines a quoted fee, over HTTP")
    func codesAndFees() async throws {
        let config = try ServedDeployment.repositoryConfig().replacingOccurrences(
            of: "repeat: { window_days: 365, free: 4, beyond: fee, fee: { amount: 30, currency: CNY } }",
            with: "repeat: { window_days: 365, free: 1, beyond: fee, fee: { amount: 30, currency: CNY } }"
        ).replacingOccurrences(of: "resends: 5, resend_cooldown_seconds: 60", with: "resends: 1, resend_cooldown_seconds: 0")
        let server = try await ServedDeployment(config: config)
        let first = try await server.file("access", subject: "email:user40@example.cn")
        let resent = try await server.call(.POST, "/v1/requests/\(first.id)/code", headers: ["X-Request-Secret": first.secret])
        #expect(resent.status == 202, "\(resent.text)")
        let tooMany = try await server.call(.POST, "/v1/requests/\(first.id)/code", headers: ["X-Request-Secret": first.secret])
        #expect(tooMany.status == 429 && tooMany.problem == "rate_limited", "one new code per subject in the window")
        #expect(Int(tooMany.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(try await server.verify(first.id, secret: first.secret).json["state"] as? String == "completed", "the newest code works")

        let quoted = try await server.file("access", subject: "email:user40@example.cn")
        let waiting = try await server.verify(quoted.id, secret: quoted.secret)
        #expect(waiting.json["state"] as? String == "awaitingFee")
        let fee = try #require(waiting.json["fee"] as? [String: Any])
        #expect(fee["amount"] as? String == "30" && fee["currency"] as? String == "CNY" && fee["validUntil"] != nil)
        let accepted = try await server.call(
            .POST, "/v1/requests/\(quoted.id)/fee", json: ["decision": "accept"], headers: ["X-Request-Secret": quoted.secret])
        #expect(accepted.json["state"] as? String == "completed", "\(accepted.text)")

        let declining = try await server.file("access", subject: "email:user40@example.cn")
        #expect(try await server.verify(declining.id, secret: declining.secret).json["state"] as? String == "awaitingFee")
        let declined = try await server.call(
            .POST, "/v1/requests/\(declining.id)/fee", json: ["decision": "decline"], headers: ["X-Request-Secret": declining.secret])
        #expect(declined.json["state"] as? String == "cancelled")
        let again = try await server.call(
            .POST, "/v1/requests/\(declining.id)/fee", json: ["decision": "accept"], headers: ["X-Request-Secret": declining.secret])
        #expect(again.status == 409, "a decided quote cannot be decided again")
    }

    /// GDPR Art. 12(5): past the count a request waits for an operator, who charges the fee with
    /// a finding over the API; a request not under review cannot be charged.
    @Test("an operator charges the fee for a request found manifestly unfounded or excessive, over HTTP")
    func operatorCharges() async throws {
        let config = try ServedDeployment.repositoryConfig().replacingOccurrences(
            of: "repeat: { window_days: 365, free: 4, beyond: fee, fee: { amount: 30, currency: CNY } }",
            with: "repeat: { window_months: 12, free: 1, beyond: review, fee: { amount: 30, currency: CNY } }")
        let server = try await ServedDeployment(config: config)
        let auth = ["Authorization": "Bearer \(try await server.token("operator", name: "desk"))"]
        let first = try await server.file("access", subject: "email:user42@example.cn")
        #expect(try await server.verify(first.id, secret: first.secret).json["state"] as? String == "completed")
        let notUnderReview = try await server.call(
            .POST, "/v1/admin/requests/\(first.id)/charge", json: ["finding": "repeated"], headers: auth)
        #expect(notUnderReview.status == 409, "\(notUnderReview.text)")
        let second = try await server.file("access", subject: "email:user42@example.cn")
        #expect(try await server.verify(second.id, secret: second.secret).json["state"] as? String == "awaitingReview")
        let empty = try await server.call(.POST, "/v1/admin/requests/\(second.id)/charge", json: ["finding": ""], headers: auth)
        #expect(empty.status == 400, "\(empty.text)")
        let charged = try await server.call(
            .POST, "/v1/admin/requests/\(second.id)/charge", json: ["finding": "the same request again within a day"], headers: auth)
        #expect(charged.status == 200 && charged.json["state"] as? String == "awaitingFee", "\(charged.text)")
        let status = try await server.call(.GET, "/v1/requests/\(second.id)", headers: ["X-Request-Secret": second.secret])
        #expect((status.json["fee"] as? [String: Any])?["amount"] as? String == "30")
    }

    @Test("operators filter the queue, extend, hold, lift, read the outbox and sign a checkpoint")
    func operatorWork() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let token = try await server.token("operator", name: "desk")
        let auth = ["Authorization": "Bearer \(token)"]
        let done = try await server.file("access", subject: "email:user50@example.cn")
        #expect(try await server.verify(done.id, secret: done.secret).status == 200)
        let open = try await server.file("access", subject: "email:user51@example.cn")
        func ids(_ query: String) async throws -> [String] {
            let reply = try await server.call(.GET, "/v1/admin/requests\(query)", headers: auth)
            #expect(reply.status == 200, "\(query): \(reply.text)")
            return (reply.json["requests"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }
        #expect(try await ids("?state=completed") == [done.id])
        #expect(try await ids("?state=awaitingVerification") == [open.id])
        #expect(try await ids("?right=erasure").isEmpty)
        #expect(try await ids("?overdue=true").isEmpty)
        #expect(Set(try await ids("?dueBefore=2099-01-01")).isSuperset(of: [open.id]))
        #expect(try await server.call(.GET, "/v1/admin/requests?dueBefore=someday", headers: auth).problem == "invalid_field")

        let extended = try await server.call(
            .POST, "/v1/admin/requests/\(open.id)/extend", json: ["reason": "the archive is offline"], headers: auth)
        #expect(extended.status == 200 && extended.json["extensionReason"] as? String == "the archive is offline", "\(extended.text)")
        let status = try await server.call(.GET, "/v1/requests/\(open.id)", headers: ["X-Request-Secret": open.secret])
        #expect(status.json["extended"] as? Bool == true)
        #expect(
            try await server.call(.POST, "/v1/admin/requests/\(open.id)/extend", json: ["reason": "again"], headers: auth).status == 409,
            "one extension")

        // A hold on a subject: their request is denied citing the ground only; lifted, it is gone.
        let hold = try await server.call(
            .POST, "/v1/admin/holds",
            json: [
                "subject": ["kind": "email", "value": "user52@example.cn"], "ground": "criminal-investigation", "authority": "case 2026-77",
            ], headers: auth)
        #expect(hold.status == 201, "\(hold.text)")
        let held = try await server.file("access", subject: "email:user52@example.cn")
        let denied = try await server.verify(held.id, secret: held.secret)
        #expect(denied.json["state"] as? String == "denied")
        #expect((denied.json["outcome"] as? [String: Any])?["ground"] as? String == "criminal-investigation")
        #expect(!denied.text.contains("case 2026-77"), "the subject learns the ground, not the case")
        let holdID = try #require(hold.json["id"] as? Int)
        #expect(try await server.call(.DELETE, "/v1/admin/holds/\(holdID)", headers: auth).status == 204)
        #expect(try await server.call(.DELETE, "/v1/admin/holds/\(holdID)", headers: auth).status == 404)
        let holds = try await server.call(.GET, "/v1/admin/holds", headers: auth)
        #expect((holds.json["holds"] as? [[String: Any]])?.first?["active"] as? Bool == false)

        let outbox = try await server.call(.GET, "/v1/admin/outbox?request=\(done.id)", headers: auth)
        let kinds = (outbox.json["messages"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(kinds == ["verification-code", "outcome"])
        #expect(!outbox.text.contains("user50"), "the outbox is listed without recipients or contents")
        let checkpoint = try await server.call(.POST, "/v1/admin/audit/checkpoints", headers: auth)
        #expect(checkpoint.status == 201 && (checkpoint.json["hash"] as? String)?.count == 64)
        let verdict = try await server.call(.GET, "/v1/admin/audit/verification", headers: auth)
        #expect(verdict.json["intact"] as? Bool == true && verdict.json["checkpoints"] as? Int ?? 0 >= 1)
        let metrics = try await server.call(.GET, "/metrics")
        #expect(metrics.text.contains(#"rightskit_requests{right="access",state="completed"} 1"#))
        #expect(metrics.text.contains("rightskit_http_request_duration_seconds_bucket"))
        #expect(metrics.text.contains("rightskit_requests_overdue 0"))
    }

    @Test("each role reaches its endpoints and is refused (401/403) elsewhere")
    func roles() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let tokens = [
            "operator": try await server.token("operator", name: "op"),
            "reviewer": try await server.token("reviewer", name: "rev"),
            "auditor": try await server.token("auditor", name: "aud"),
        ]
        let filed = try await server.file("access", subject: "email:user3@example.cn")
        let id = filed.id
        // Every admin endpoint with a harmless call, and the roles allowed to make it.
        let endpoints: [(HTTPMethod, String, [String: Any]?, Set<String>)] = [
            (.GET, "/v1/admin/requests", nil, ["operator", "auditor"]),
            (.GET, "/v1/admin/requests/\(id)", nil, ["operator", "reviewer", "auditor"]),
            (.POST, "/v1/admin/requests/\(id)/review", nil, ["operator", "reviewer"]),
            (.POST, "/v1/admin/requests/\(id)/extend", ["reason": "x"], ["operator"]),
            (.GET, "/v1/admin/holds", nil, ["operator"]),
            (
                .POST, "/v1/admin/holds",
                ["category": "user.financial", "ground": "other-law", "authority": "case-1", "expires": "2020-01-01"], ["operator"]
            ),
            (.POST, "/v1/admin/discontinuations", ["product": "nothing", "ends": "not-a-date", "reference": "r"], ["operator"]),
            (.GET, "/v1/admin/outbox", nil, ["operator"]),
            (.GET, "/v1/admin/audit/verification", nil, ["operator", "auditor"]),
            (.POST, "/v1/admin/audit/checkpoints", nil, ["operator"]),
            (.POST, "/v1/admin/requests/\(id)/deny", ["ground": "not-a-ground"], ["operator", "reviewer"]),
            (.POST, "/v1/admin/requests/\(id)/approve", nil, ["operator", "reviewer"]),
        ]
        for (method, path, body, allowed) in endpoints {
            #expect(try await server.call(method, path, json: body).status == 401, "\(path) without a token")
            #expect(
                try await server.call(method, path, json: body, headers: ["Authorization": "Bearer rk_not-a-token"]).status == 401,
                "\(path) with a wrong token")
            for (role, token) in tokens {
                let reply = try await server.call(method, path, json: body, headers: ["Authorization": "Bearer \(token)"])
                let refused = [401, 403].contains(reply.status)
                let label = "\(role) \(method) \(path): \(reply.status) \(reply.text)"
                if allowed.contains(role) {
                    #expect(!refused, Comment(rawValue: label))
                } else {
                    #expect(reply.status == 403, Comment(rawValue: label))
                    #expect(reply.problem == "forbidden", Comment(rawValue: label))
                }
            }
        }
        // An auditor reads requests without personal data; an operator with it.
        let audited = try await server.call(
            .GET, "/v1/admin/requests/\(id)", headers: ["Authorization": "Bearer \(tokens["auditor"] ?? "")"])
        #expect((audited.json["request"] as? [String: Any])?["subject"] == nil)
        #expect(!audited.text.contains("user3@example.cn"))
        let operated = try await server.call(
            .GET, "/v1/admin/requests/\(id)", headers: ["Authorization": "Bearer \(tokens["operator"] ?? "")"])
        #expect(operated.text.contains("user3@example.cn"))
        // A revoked token stops working at once.
        #expect(try await server.runner.run("token", "revoke", "op").status == 0)
        #expect(
            try await server.call(.GET, "/v1/admin/holds", headers: ["Authorization": "Bearer \(tokens["operator"] ?? "")"]).status == 401)
        let listed = try await server.runner.run("token", "list", "--json")
        #expect(!listed.output.contains(tokens["auditor"] ?? "-"), "the list never shows a secret")
        // Tokens made and revoked are on the audit record, without their secrets.
        let ledger = try DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite"))
        let tokenEntries: [(action: String, details: String)] = try await ledger.read { db in
            try Row.fetchAll(db, sql: "SELECT action, details FROM audit_entries WHERE action LIKE 'token.%' ORDER BY seq").map {
                ($0["action"], $0["details"])
            }
        }
        #expect(tokenEntries.map(\.action) == ["token.created", "token.created", "token.created", "token.revoked"])
        #expect(tokenEntries.allSatisfy { entry in !tokens.values.contains { entry.details.contains($0) } })
        #expect(try await server.runner.run("audit", "verify").status == 0)
    }

    @Test("a request's secret opens that request only; others answer 404 as if absent")
    func secrets() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let first = try await server.file("access", subject: "email:user21@example.cn")
        let second = try await server.file("access", subject: "email:user22@example.cn")
        #expect(try await server.call(.GET, "/v1/requests/\(first.id)", headers: ["X-Request-Secret": first.secret]).status == 200)
        for path in ["", "/results", "/results/access.json"] {
            let crossed = try await server.call(.GET, "/v1/requests/\(second.id)\(path)", headers: ["X-Request-Secret": first.secret])
            #expect(crossed.status == 404 && crossed.problem == "not_found", "\(path)")
            #expect(!crossed.text.contains("user22"))
        }
        let crossedVerify = try await server.call(
            .POST, "/v1/requests/\(second.id)/verification", json: ["code": "00000000"], headers: ["X-Request-Secret": first.secret])
        #expect(crossedVerify.status == 404)
        let unknown = try await server.call(
            .GET, "/v1/requests/\(UUID().uuidString.lowercased())", headers: ["X-Request-Secret": first.secret])
        #expect(unknown.status == 404 && unknown.problem == "not_found", "an unknown id reads exactly like a wrong secret")
        #expect(try await server.call(.GET, "/v1/requests/\(second.id)").status == 401)
    }

    @Test("every client mistake is a 4xx with the JSON problem shape")
    func clientMistakes() async throws {
        let server = try await ServedDeployment(
            config: try ServedDeployment.repositoryConfig(server: "  body_limit_bytes: 2048\n").replacingOccurrences(
                of: "filings_per_minute: 100000", with: "filings_per_minute: 6"))
        let token = try await server.token("operator", name: "desk")
        func expectProblem(_ reply: ServedDeployment.Reply, _ status: Int, _ code: String, field: String? = nil, _ comment: Comment) {
            #expect(reply.status == status, comment)
            #expect(reply.problem == code, comment)
            #expect(((reply.json["error"] as? [String: Any])?["message"] as? String)?.isEmpty == false, comment)
            if let field { #expect((reply.json["error"] as? [String: Any])?["field"] as? String == field, comment) }
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, comment)
        }
        let json = ["Content-Type": "application/json"]
        expectProblem(try await server.call(.POST, "/v1/requests", body: Data("{bad".utf8), headers: json), 400, "bad_json", "bad JSON")
        expectProblem(
            try await server.call(
                .POST, "/v1/requests", json: ["right": "nope", "subject": ["kind": "email", "value": "user1@example.cn"]]), 400,
            "right_not_enabled", field: "right", "unknown right")
        expectProblem(
            try await server.call(.POST, "/v1/requests", json: ["right": "access"]), 400, "missing_field", field: "subject", "missing field"
        )
        expectProblem(
            try await server.call(.POST, "/v1/requests", json: ["right": "access", "subject": 5]), 400, "invalid_field", field: "subject",
            "ill-typed field")
        expectProblem(
            try await server.call(
                .POST, "/v1/requests", json: ["right": "access", "subject": ["kind": "email", "value": "not an email"]]), 400,
            "invalid_request", "bad identity")
        let big = try await server.call(.POST, "/v1/requests", body: Data(repeating: UInt8(ascii: " "), count: 4_096), headers: json)
        expectProblem(big, 413, "body_too_large", "oversized body")
        expectProblem(
            try await server.call(.GET, "/v1/admin/requests", headers: ["Authorization": "Bearer nope"]), 401, "token_invalid", "bad token")
        expectProblem(try await server.call(.GET, "/v1/admin/requests"), 401, "token_required", "missing token")
        let filed = try await server.file("access", subject: "email:user5@example.cn")
        expectProblem(
            try await server.call(.GET, "/v1/requests/\(filed.id)", headers: ["X-Request-Secret": "wrong"]), 404, "not_found",
            "wrong secret")
        expectProblem(
            try await server.call(
                .POST, "/v1/requests/\(filed.id)/verification", json: ["code": "00000000"], headers: ["X-Request-Secret": filed.secret]),
            422,
            "verification_failed", field: "code", "wrong code")
        #expect(try await server.verify(filed.id, secret: filed.secret).status == 200)
        expectProblem(
            try await server.call(.POST, "/v1/admin/requests/\(filed.id)/approve", headers: ["Authorization": "Bearer \(token)"]), 409,
            "illegal_transition", "illegal transition")
        expectProblem(
            try await server.call(
                .POST, "/v1/requests/\(filed.id)/fee", json: ["decision": "maybe"], headers: ["X-Request-Secret": filed.secret]), 400,
            "invalid_field", field: "decision", "value outside the enum")
        expectProblem(try await server.call(.GET, "/v1/nothing-here"), 404, "not_found", "unknown endpoint")
        // A method the path does not take: the router answers as for no such endpoint.
        expectProblem(try await server.call(.DELETE, "/v1/rights"), 404, "not_found", "wrong method")
        // The per-client filing limit: the sixth filing this minute was the one above; the next is refused.
        var limited: ServedDeployment.Reply?
        for index in 0..<10 {
            let reply = try await server.file("access", subject: "email:user\(30 + index)@example.cn").reply
            if reply.status == 429 {
                limited = reply
                break
            }
        }
        let refused = try #require(limited)
        expectProblem(refused, 429, "rate_limited", "rate limit")
        #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 >= 1)
        // Nothing personal in the server's log.
        let log = (try? String(contentsOf: server.output, encoding: .utf8)) ?? ""
        #expect(!log.contains("user5@example.cn"))
    }
}
