import Foundation
import GRDB
import NIOHTTP1
import RightsTesting
import Testing

/// The operator console over real HTTP from a started `rightskit serve`: signed in with a token
/// kept in a console cookie, acting through the admin API's own handlers, so each role does
/// exactly what the API lets it; the ledger read with plain SQL shows what a refusal left alone.
@Suite("The operator console: the queue, decisions and holds, by role")
struct OperatorConsoleTests {
    /// A browser session on the console: the form cookie and, once signed in, the operator's.
    struct Session {
        let server: ServedDeployment
        var cookies: [String: String] = [:]
        var form: String { cookies["rightskit-form"] ?? "" }
        var header: [String: String] { ["Cookie": cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")] }

        mutating func get(_ path: String) async throws -> ServedDeployment.Reply {
            let reply = try await server.call(.GET, path, headers: header)
            keep(reply)
            return reply
        }

        mutating func post(_ path: String, _ fields: [(String, String)], token: String? = nil) async throws -> ServedDeployment.Reply {
            let body = PrivacyCentreTests.form([("csrf", token ?? form)] + fields)
            let reply = try await server.call(
                .POST, path, body: body, headers: PrivacyCentreTests.formType.merging(header) { $1 }, followingRedirects: false)
            keep(reply)
            return reply
        }

        mutating func keep(_ reply: ServedDeployment.Reply) {
            guard let header = reply.headers["set-cookie"], let pair = header.split(separator: ";").first else { return }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { return }
            if header.contains("Max-Age=0") { cookies[parts[0]] = nil } else { cookies[parts[0]] = parts[1] }
        }

        /// Signs in with `token` and returns the session.
        static func signedIn(_ server: ServedDeployment, token: String) async throws -> Session {
            var session = Session(server: server)
            _ = try await session.get("/console")
            let signed = try await session.post("/console/sign-in", [("token", token)])
            #expect(signed.status == 303)
            let cookie = try #require(PrivacyCentreTests.cookie(signed.headers["set-cookie"], named: "rightskit-operator"))
            #expect(cookie.attributes.isSuperset(of: ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"]))
            return session
        }
    }

    func ledger(_ server: ServedDeployment) throws -> DatabaseQueue {
        try DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite"))
    }

    @Test func anOperatorApprovesACopyDeniesARequestWithAGroundAndAHoldDeniesTheNext() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let copy = try await server.file("portability", subject: "email:user10@example.cn", parameters: ["mode": "copy"])
        _ = try await server.verify(copy.id, secret: copy.secret)
        let other = try await server.file("access", subject: "email:user11@example.cn")
        var session = try await Session.signedIn(server, token: try await server.token("operator", name: "li.ops"))

        let queue = try await session.get("/console")
        #expect(
            queue.status == 200 && queue.text.contains("/console/requests/\(copy.id)")
                && queue.text.contains("/console/requests/\(other.id)"))
        #expect(queue.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        let reviewing = try await session.get("/console?state=awaitingReview")
        #expect(reviewing.text.contains(copy.id) && !reviewing.text.contains(other.id), "the state filter")
        #expect(reviewing.text.contains("<td data-state=\"awaitingReview\">Waiting for review</td>"), "states in words")

        let page = try await session.get("/console/requests/\(copy.id)")
        #expect(page.text.contains("data-state=\"awaitingReview\"") && page.text.contains("user10@example.cn"))
        #expect(page.text.contains("identity.verified"), "the audit trail")
        let approved = try await session.post("/console/requests/\(copy.id)/approve", [("lang", "en")])
        #expect(approved.status == 303)
        #expect(try await session.get("/console/requests/\(copy.id)").text.contains("data-state=\"completed\""))

        let denied = try await session.post(
            "/console/requests/\(other.id)/deny", [("lang", "en"), ("ground", "identity-not-verified"), ("note", "no answer")])
        #expect(denied.status == 303)
        let deniedPage = try await session.get("/console/requests/\(other.id)")
        #expect(deniedPage.text.contains("data-state=\"denied\""))

        let placed = try await session.post(
            "/console/holds",
            [
                ("lang", "en"), ("subject", "user12@example.cn"), ("category", ""), ("ground", "other-law"),
                ("authority", "Court order 2026-17"), ("expires", ""),
            ])
        #expect(placed.status == 303, "\(placed.text)")
        let holds = try await session.get("/console/holds")
        #expect(holds.text.contains("Court order 2026-17"))
        let held = try await server.file("access", subject: "email:user12@example.cn")
        let answered = try await server.verify(held.id, secret: held.secret)
        #expect((answered.json["state"] as? String) == "denied", "the hold denies the subject's request")
        #expect(try await session.get("/console/requests/\(held.id)").text.contains("data-state=\"denied\""))

        let audit = try await session.get("/console/audit")
        #expect(audit.status == 200)
        #expect(try await server.runner.run("audit", "checkpoint").status == 0)
        let signed = try await session.get("/console/audit")
        #expect(signed.text.contains("id=\"latest-checkpoint\""), "the latest signed checkpoint is shown")
        let out = try await session.post("/console/sign-out", [("lang", "en")])
        #expect(out.status == 303 && session.cookies["rightskit-operator"] == nil)
        #expect(try await session.get("/console").text.contains("name=\"token\""), "signed out: the sign-in form")
    }

    @Test func aReviewerCannotPlaceAHoldAndRefusedFormsChangeNothing() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let ledger = try ledger(server)
        func holds() throws -> Int { try ledger.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM holds") ?? -1 } }
        var reviewer = try await Session.signedIn(server, token: try await server.token("reviewer", name: "wang.review"))
        let queue = try await reviewer.get("/console")
        #expect(queue.text.contains("Your role reviews the requests it is sent to"), "the API lists no queue to a reviewer")
        let page = try await reviewer.get("/console/holds")
        #expect(page.status == 403)
        let placed = try await reviewer.post(
            "/console/holds",
            [("subject", "user12@example.cn"), ("ground", "other-law"), ("authority", "Court order"), ("expires", "")])
        #expect(placed.status == 403)
        #expect(try holds() == 0)

        // An operator's form without the page's token, or with a forged operator cookie.
        var operatorSession = try await Session.signedIn(server, token: try await server.token("operator", name: "li.ops"))
        let forged = try await operatorSession.post(
            "/console/holds",
            [("subject", "user12@example.cn"), ("ground", "other-law"), ("authority", "Court order"), ("expires", "")],
            token: String(repeating: "B", count: 43))
        #expect(forged.status == 403)
        var stranger = Session(server: server)
        _ = try await stranger.get("/console")
        stranger.cookies["rightskit-operator"] = "rk_" + String(repeating: "x", count: 43)
        let strangerPost = try await stranger.post(
            "/console/holds",
            [("subject", "user12@example.cn"), ("ground", "other-law"), ("authority", "Court order"), ("expires", "")])
        #expect(strangerPost.status == 401)
        #expect(try holds() == 0, "nothing was placed")
        let wrong = try await stranger.post("/console/sign-in", [("token", "rk_not-a-token")])
        #expect(wrong.status == 401 && wrong.headers["set-cookie"] == nil)

        // A revoked token signs the console out at once.
        #expect(try await server.runner.run("token", "revoke", "li.ops").status == 0)
        #expect(try await operatorSession.get("/console").text.contains("name=\"token\""))
    }

    @Test func aChargedFeeIsAcceptedOnThePersonsPageAndADiscontinuationIsAnnounced() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let copy = try await server.file("portability", subject: "email:user10@example.cn", parameters: ["mode": "copy"])
        _ = try await server.verify(copy.id, secret: copy.secret)
        var session = try await Session.signedIn(server, token: try await server.token("operator", name: "li.ops"))
        let charged = try await session.post("/console/requests/\(copy.id)/charge", [("finding", "the fifth copy this month")])
        #expect(charged.status == 303)

        // The person's page quotes the fee; accepting it moves the request on.
        var person = Session(server: server)
        _ = try await person.get("/")
        person.cookies["rightskit-request"] = copy.secret
        let quoted = try await person.get("/requests/\(copy.id)")
        #expect(quoted.text.contains("data-state=\"awaitingFee\"") && quoted.text.contains("id=\"fee-amount\""))
        let accepted = try await person.post("/requests/\(copy.id)/fee", [("decision", "accept")])
        #expect(accepted.status == 303)
        let state = try await ledger(server).read { db in
            try String.fetchOne(db, sql: "SELECT state FROM requests WHERE id = ?", arguments: [copy.id])
        }
        #expect(state != "awaitingFee" && state != nil, "accepting the fee moved the request on (\(state ?? "-"))")

        let announced = try await session.post(
            "/console/discontinuations", [("product", "photo-backup"), ("ends", "2027-03-31"), ("reference", "NOTICE-7")])
        #expect(announced.status == 303)
        let rights = try await ledger(server).read { db in try String.fetchAll(db, sql: "SELECT \"right\" FROM requests") }
        #expect(rights.contains("discontinuation-notice"))
        var reviewer = try await Session.signedIn(server, token: try await server.token("reviewer", name: "wang.review"))
        let refused = try await reviewer.post(
            "/console/discontinuations", [("product", "photo-backup"), ("ends", "2027-03-31"), ("reference", "NOTICE-8")])
        #expect(refused.status == 403, "only operators announce")
    }

    @Test func theReportShowsTheFiguresAsChartsAndTheSameFiguresAsCSV() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let done = try await server.file("access", subject: "email:user7@example.cn")
        _ = try await server.verify(done.id, secret: done.secret)
        _ = try await server.file("erasure", subject: "email:user8@example.cn", parameters: ["ground": "consent-withdrawn"])
        var auditor = try await Session.signedIn(server, token: try await server.token("auditor", name: "zhao.audit"))
        let page = try await auditor.get("/console/reports")
        #expect(page.status == 200)
        #expect(page.text.contains("<svg") && page.text.contains("role=\"img\""), "charts drawn on the server")
        #expect(!page.text.contains("<script"))
        let csvLink = try #require(page.text.firstMatch(of: /href="(\/console\/reports\.csv\?[^"]+)"/)?.1)
        let csv = try await auditor.get(String(csvLink))
        #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
        let rows = Set(csv.text.split(separator: "\n").map(String.init))
        #expect(rows.isSuperset(of: ["figure,received,,2", "figure,answered,,1", "figure,answered_within_deadline,,1"]), "\(rows)")
        #expect(rows.contains("state,completed,,1") && rows.contains("state,awaitingVerification,,1"))
        #expect(page.text.contains("<dt>Received</dt><dd>2</dd>"), "the page shows the same figures")

        var reviewer = try await Session.signedIn(server, token: try await server.token("reviewer", name: "wang.review"))
        #expect(try await reviewer.get("/console/reports").status == 403, "as in the API, a reviewer lists no requests")
    }

    @Test func anAuditorSeesTheTrailWithoutPersonalData() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let filed = try await server.file("access", subject: "email:user13@example.cn")
        var auditor = try await Session.signedIn(server, token: try await server.token("auditor", name: "zhao.audit"))
        let page = try await auditor.get("/console/requests/\(filed.id)")
        #expect(page.status == 200 && page.text.contains("request.received"))
        #expect(!page.text.contains("user13@example.cn"), "an auditor sees no one's identity")
        #expect(!page.text.contains("/console/requests/\(filed.id)/approve"), "and decides nothing")
        let approve = try await auditor.post("/console/requests/\(filed.id)/approve", [])
        #expect(approve.status == 403)
    }
}
