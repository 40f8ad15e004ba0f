import Foundation
import GRDB
import NIOHTTP1
import RightsTesting
import Testing

/// The privacy centre as a browser without script sees it: pages over real HTTP from a started
/// `rightskit serve`, cookies carried as a browser carries them, and the ledger read with plain
/// SQL to show that a refused form changed nothing.
@Suite("The privacy centre: filing, confirming and following a request on server-rendered pages")
struct PrivacyCentreTests {
    static let formType = ["Content-Type": "application/x-www-form-urlencoded"]

    /// A `name=value` cookie out of a `Set-Cookie` header, with the attributes it came with.
    static func cookie(_ header: String?, named name: String) -> (value: String, attributes: Set<String>)? {
        guard let header, header.hasPrefix("\(name)=") else { return nil }
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        return (String(parts[0].dropFirst(name.count + 1)), Set(parts.dropFirst().map { $0 }))
    }

    /// The value of the hidden or text input `name` in a page.
    static func input(_ page: String, _ name: String) -> String? {
        guard let range = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [(String, String)]) -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return Data(
            fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&").utf8)
    }

    /// Every `<input>`, `<select>` and `<textarea>` with an id has a `<label for>` naming it.
    static func unlabelledFields(_ page: String) -> [String] {
        let ids = page.components(separatedBy: "<").filter {
            $0.hasPrefix("input id=") || $0.hasPrefix("select id=") || $0.hasPrefix("textarea id=")
        }
        .compactMap { $0.split(separator: "\"").dropFirst().first.map(String.init) }
        return ids.filter { !page.contains("<label for=\"\($0)\"") }
    }

    func ledger(_ server: ServedDeployment) throws -> DatabaseQueue {
        try DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite"))
    }

    @Test func aPersonFilesAnAccessRequestConfirmsItWithTheCodeAndDownloadsTheReadablePage() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let home = try await server.call(.GET, "/")
        #expect(home.status == 200)
        let policy = home.headers["content-security-policy"] ?? ""
        #expect(policy.contains("default-src 'none'") && !policy.contains("unsafe-inline") && !policy.contains("script-src"))
        #expect(home.headers["cache-control"] == "no-store")
        #expect(home.text.contains("See the information we hold about you") && home.text.contains("href=\"/rights/access?lang=en\""))
        #expect(!home.text.contains("/rights/discontinuation-notice"), "a right only operators announce has no card")
        let form = try #require(Self.cookie(home.headers["set-cookie"], named: "rightskit-form"))
        #expect(form.attributes.isSuperset(of: ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]))
        let browser = "rightskit-form=\(form.value)"

        let page = try await server.call(.GET, "/rights/access", headers: ["Cookie": browser])
        #expect(page.status == 200 && page.headers["set-cookie"] == nil, "the browser's form cookie is kept")
        #expect(Self.unlabelledFields(page.text).isEmpty, "\(Self.unlabelledFields(page.text))")
        let token = try #require(Self.input(page.text, "csrf"))
        #expect(token == form.value)

        let filed = try await server.call(
            .POST, "/rights/access",
            body: Self.form([("csrf", token), ("lang", "en"), ("subject_kind", "email"), ("subject_value", "user7@example.cn")]),
            headers: Self.formType.merging(["Cookie": browser]) { $1 }, followingRedirects: false)
        #expect(filed.status == 303, "\(filed.text)")
        let location = try #require(filed.headers["location"])
        let id = String(try #require(location.split(separator: "/").last?.split(separator: "?").first))
        let opener = try #require(Self.cookie(filed.headers["set-cookie"], named: "rightskit-request"))
        #expect(opener.attributes.isSuperset(of: ["HttpOnly", "Secure", "SameSite=Strict", "Path=/requests/\(id)"]))
        #expect(!location.contains(opener.value), "the secret is never in an address")
        let cookies = "\(browser); rightskit-request=\(opener.value)"

        let waiting = try await server.call(.GET, location, headers: ["Cookie": cookies])
        #expect(waiting.text.contains("data-state=\"awaitingVerification\""))
        #expect(Self.unlabelledFields(waiting.text).isEmpty)
        let code = try await server.code(for: id)
        let answered = try await server.call(
            .POST, "/requests/\(id)/code", body: Self.form([("csrf", token), ("lang", "en"), ("code", code)]),
            headers: Self.formType.merging(["Cookie": cookies]) { $1 }, followingRedirects: false)
        #expect(answered.status == 303)
        let done = try await server.call(.GET, "/requests/\(id)", headers: ["Cookie": cookies])
        #expect(done.text.contains("data-state=\"completed\""), "\(done.text)")
        #expect(done.text.contains("href=\"/requests/\(id)/results/access.html\""))

        let readable = try await server.call(.GET, "/requests/\(id)/results/access.html", headers: ["Cookie": cookies])
        #expect(readable.status == 200)
        #expect(readable.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(readable.headers["content-security-policy"]?.contains("sandbox") == true)
        #expect(readable.headers["content-disposition"]?.hasPrefix("attachment") == true)
        #expect(readable.text.contains("user7@example.cn"), "the readable page holds the person's own data")
        let elsewhere = try await server.call(.GET, "/requests/\(id)/results/access.html", headers: ["Cookie": browser])
        #expect(elsewhere.status == 404, "without the request's cookie the file is not there")
    }

    @Test func aFormWithoutItsTokenOrWithAnotherRequestsSecretChangesNothing() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let home = try await server.call(.GET, "/")
        let token = try #require(Self.cookie(home.headers["set-cookie"], named: "rightskit-form")).value
        let filing = [("lang", "en"), ("subject_kind", "email"), ("subject_value", "user7@example.cn")]
        let ledger = try ledger(server)
        func requests() async throws -> Int {
            try await ledger.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") ?? -1 }
        }

        // No token, a token the cookie does not carry, a cookie forged to match nothing.
        let bare = try await server.call(.POST, "/rights/access", body: Self.form(filing), headers: Self.formType)
        #expect(bare.status == 403)
        let forged = try await server.call(
            .POST, "/rights/access", body: Self.form([("csrf", token)] + filing),
            headers: Self.formType.merging(["Cookie": "rightskit-form=\(String(repeating: "A", count: 43))"]) { $1 })
        #expect(forged.status == 403)
        let crossSite = try await server.call(.POST, "/rights/access", body: Self.form([("csrf", token)] + filing), headers: Self.formType)
        #expect(crossSite.status == 403, "another site's form carries no cookie of ours")
        let unknown = try await server.call(
            .POST, "/rights/access", body: Self.form([("csrf", token), ("contact", "x@example.cn")] + filing),
            headers: Self.formType.merging(["Cookie": "rightskit-form=\(token)"]) { $1 })
        #expect(unknown.status == 400, "a field the right does not take is refused")
        #expect(try await requests() == 0, "nothing was filed")

        // Two requests; the second one's secret opens nothing of the first.
        let first = try await server.file("access", subject: "email:user7@example.cn")
        let second = try await server.file("access", subject: "email:user8@example.cn")
        let cookies = "rightskit-form=\(token); rightskit-request=\(second.secret)"
        let peek = try await server.call(.GET, "/requests/\(first.id)", headers: ["Cookie": cookies])
        #expect(peek.status == 404 && !peek.text.contains("data-state"), "another request's secret shows nothing")
        let before = try ledger.read { db in
            try Row.fetchOne(db, sql: "SELECT state, version, code_attempts FROM requests WHERE id = ?", arguments: [first.id])
        }
        let answer = try await server.call(
            .POST, "/requests/\(first.id)/code", body: Self.form([("csrf", token), ("code", try await server.code(for: first.id))]),
            headers: Self.formType.merging(["Cookie": cookies]) { $1 })
        #expect(answer.status == 404)
        let resend = try await server.call(
            .POST, "/requests/\(first.id)/resend", body: Self.form([("csrf", token)]),
            headers: Self.formType.merging(["Cookie": cookies]) { $1 })
        #expect(resend.status == 404)
        let after = try ledger.read { db in
            try Row.fetchOne(db, sql: "SELECT state, version, code_attempts FROM requests WHERE id = ?", arguments: [first.id])
        }
        #expect(before == after, "the first request is exactly as it was")
        #expect(after?["state"] as String? == "awaitingVerification")
    }

    @Test func formsOfferWhatTheModuleDeclaresAndACancellationNeedsItsConfirmation() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let erasure = try await server.call(.GET, "/rights/erasure")
        #expect(erasure.text.contains("<select id=\"p-ground\" name=\"p.ground\">"))
        for ground in ["consent-withdrawn", "purpose-achieved"] { #expect(erasure.text.contains("<option value=\"\(ground)\">")) }
        let portability = try await server.call(.GET, "/rights/portability")
        #expect(portability.text.contains("<option value=\"copy\">") && portability.text.contains("<option value=\"transfer\">"))

        let cancellation = try await server.call(.GET, "/rights/account-cancellation")
        #expect(cancellation.text.contains("cancelling your account is irreversible"), "the backup warning comes before the form")
        #expect(cancellation.text.contains("type=\"checkbox\" value=\"irreversible\""))
        #expect(Self.unlabelledFields(cancellation.text).isEmpty)
        let token = try #require(Self.cookie(cancellation.headers["set-cookie"], named: "rightskit-form")).value
        let headers = Self.formType.merging(["Cookie": "rightskit-form=\(token)"]) { $1 }
        let filing = [("csrf", token), ("subject_kind", "email"), ("subject_value", "user8@example.cn")]
        let unconfirmed = try await server.call(
            .POST, "/rights/account-cancellation", body: Self.form(filing), headers: headers, followingRedirects: false)
        #expect(unconfirmed.status == 400)
        #expect(unconfirmed.text.contains("aria-invalid=\"true\" aria-describedby=\"p-confirm-problem\""), "the error is tied to its field")
        let filed = try await ledger(server).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") }
        #expect(filed == 0, "nothing was filed")
        let confirmed = try await server.call(
            .POST, "/rights/account-cancellation", body: Self.form(filing + [("p.confirm", "irreversible")]), headers: headers,
            followingRedirects: false)
        #expect(confirmed.status == 303)
    }

    @Test func aRequestFiledInChineseIsAnsweredInChineseAndOneFiledOverTheAPIWithoutALanguageInEnglish() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let home = try await server.call(.GET, "/", headers: ["Accept-Language": "zh-CN"])
        let token = try #require(Self.cookie(home.headers["set-cookie"], named: "rightskit-form")).value
        let filed = try await server.call(
            .POST, "/rights/access",
            body: Self.form([("csrf", token), ("lang", "zh-Hans"), ("subject_kind", "email"), ("subject_value", "user7@example.cn")]),
            headers: Self.formType.merging(["Cookie": "rightskit-form=\(token)"]) { $1 }, followingRedirects: false)
        let id = String(try #require(filed.headers["location"]?.split(separator: "/").last?.split(separator: "?").first))
        func messages(_ id: String) async throws -> [[String: Any]] {
            let listed = try await server.runner.run("outbox", "--request", id, "--json")
            return ((try JSONSerialization.jsonObject(with: Data(listed.output.utf8))) as? [[String: Any]] ?? []).compactMap {
                $0["message"] as? [String: Any]
            }
        }
        let sent = try await messages(id)
        let code = try #require(sent.first { $0["kind"] as? String == "verification-code" })
        #expect(code["title"] as? String == "确认您的查阅请求")
        #expect((code["body"] as? String)?.contains("您的验证码是") == true)
        let opener = try #require(Self.cookie(filed.headers["set-cookie"], named: "rightskit-request")).value
        _ = try await server.call(
            .POST, "/requests/\(id)/code", body: Self.form([("csrf", token), ("code", try await server.code(for: id))]),
            headers: Self.formType.merging(["Cookie": "rightskit-form=\(token); rightskit-request=\(opener)"]) { $1 },
            followingRedirects: false)
        #expect(try await messages(id).contains { ($0["title"] as? String) == "您的查阅请求：已完成" }, "the outcome in Chinese")
        let page = try await server.call(
            .GET, "/requests/\(id)?lang=zh-Hans", headers: ["Cookie": "rightskit-form=\(token); rightskit-request=\(opener)"])
        #expect(page.text.contains(/<dd>\d{4}年\d{1,2}月\d{1,2}日<\/dd>/), "a date as Chinese writes it")

        let english = try await server.file("access", subject: "email:user8@example.cn")
        let englishCode = try #require(try await messages(english.id).first { $0["kind"] as? String == "verification-code" })
        #expect(englishCode["title"] as? String == "Confirm the access request")
        let chosen = try await server.call(
            .POST, "/v1/requests",
            json: ["right": "access", "subject": ["kind": "email", "value": "user9@example.cn"], "language": "zh-Hans"])
        let chosenID = try #require((chosen.json["request"] as? [String: Any])?["id"] as? String)
        #expect(try await messages(chosenID).contains { ($0["title"] as? String) == "确认您的查阅请求" }, "a language chosen over the API")
    }

    @Test func thePagesSpeakChineseWhenTheBrowserPrefersItAndThePersonCanSwitch() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let chinese = try await server.call(.GET, "/", headers: ["Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"])
        #expect(chinese.text.contains("<html lang=\"zh-Hans\">") && chinese.text.contains("您的个人信息权利"))
        #expect(chinese.text.contains("查看我们持有的您的信息"))
        #expect(chinese.text.contains("href=\"/?lang=en\""), "a link to the other language")
        let english = try await server.call(.GET, "/?lang=en", headers: ["Accept-Language": "zh-CN"])
        #expect(english.text.contains("<html lang=\"en\">") && english.text.contains("Your privacy rights"))
        let form = try await server.call(.GET, "/rights/erasure?lang=zh-Hans")
        #expect(form.text.contains("删除您的信息") && form.text.contains("提交请求"))
        #expect(Self.unlabelledFields(form.text).isEmpty)
    }

    @Test func anErasureFiledInChineseIsToldInChineseWhatWasErasedWhatIsKeptAndWhy() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        // A person with an order still inside its three-year retention period, so some of what
        // they ask to erase is kept instead.
        let business = try DatabaseQueue(path: server.runner.directory.file("data/sample-business.sqlite"))
        let email = try #require(
            try await business.read { db in
                try String.fetchOne(
                    db,
                    sql: """
                        SELECT email FROM accounts JOIN orders ON orders.account_id = accounts.id
                        WHERE orders.created_at >= '2025-01-01' AND accounts.id > 20 ORDER BY accounts.id LIMIT 1
                        """)
            })
        let home = try await server.call(.GET, "/?lang=zh-Hans")
        let token = try #require(Self.cookie(home.headers["set-cookie"], named: "rightskit-form")).value
        let cookie = "rightskit-form=\(token)"
        let form = try await server.call(.GET, "/rights/erasure?lang=zh-Hans", headers: ["Cookie": cookie])
        #expect(form.text.contains("<option value=\"consent-withdrawn\">我已撤回同意</option>"), "each ground in the person's words")
        let filed = try await server.call(
            .POST, "/rights/erasure",
            body: Self.form([
                ("csrf", token), ("lang", "zh-Hans"), ("subject_kind", "email"), ("subject_value", email),
                ("p.ground", "consent-withdrawn"),
            ]),
            headers: Self.formType.merging(["Cookie": cookie]) { $1 }, followingRedirects: false)
        #expect(filed.status == 303, "\(filed.text)")
        let id = String(try #require(filed.headers["location"]?.split(separator: "/").last?.split(separator: "?").first))
        let opener = try #require(Self.cookie(filed.headers["set-cookie"], named: "rightskit-request")).value
        let cookies = "\(cookie); rightskit-request=\(opener)"
        _ = try await server.call(
            .POST, "/requests/\(id)/code",
            body: Self.form([("csrf", token), ("lang", "zh-Hans"), ("code", try await server.code(for: id))]),
            headers: Self.formType.merging(["Cookie": cookies]) { $1 }, followingRedirects: false)

        let listed = try await server.runner.run("outbox", "--request", id, "--json")
        let messages = ((try JSONSerialization.jsonObject(with: Data(listed.output.utf8))) as? [[String: Any]] ?? []).compactMap {
            $0["message"] as? [String: Any]
        }
        let outcome = try #require(messages.first { $0["kind"] as? String == "outcome" })
        let body = try #require(outcome["body"] as? String)
        #expect(body.hasPrefix("已删除，理由是您撤回了同意：已删除"), "\(body)")
        #expect(body.contains(/保留至20\d\d年\d{1,2}月\d{1,2}日/), "what is kept, until the person's local day: \(body)")
        #expect(body.contains("依据E-Commerce Law Art. 31保留"), "the ground of what is kept, in Chinese around the law's name")
        for english in ["erased", "deleted", "Retained", "We keep", "until"] { #expect(!body.contains(english), "\(english) in \(body)") }

        let page = try await server.call(.GET, "/requests/\(id)?lang=zh-Hans", headers: ["Cookie": cookies])
        #expect(page.text.contains("依据E-Commerce Law Art. 31保留；仅作存储和必要的安全保护处理"), "the withheld category's ground on the page")
        let english = try await server.call(.GET, "/requests/\(id)?lang=en", headers: ["Cookie": cookies])
        #expect(
            english.text.contains("Retained under E-Commerce Law Art. 31; processing is restricted to storage and security"),
            "the page's ground follows the page's language; the outcome stays as it was sent")
    }

    @Test func theCorrectionFormOffersTheFieldsTheDataMapLetsAPersonCorrect() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let form = try await server.call(.GET, "/rights/correction?lang=en")
        #expect(form.text.contains("<select id=\"p-field\" name=\"p.field\">"))
        for (category, label) in [("user.contact.phone", "Phone number"), ("user.contact.address", "Postal address")] {
            #expect(form.text.contains("<option value=\"\(category)\">\(label)</option>"), "\(category)")
        }
        #expect(
            form.text.contains("<option value=\"user.account.nickname\">"), "a correctable field without a label is offered by its category"
        )
        #expect(!form.text.contains("user.identity.real_name"), "a field corrected elsewhere is not offered")
        #expect(!form.text.contains("user.account.id"), "a field that is not correctable is not offered")
        let chinese = try await server.call(.GET, "/rights/correction?lang=zh-Hans")
        #expect(chinese.text.contains("<option value=\"user.contact.phone\">手机号码</option>"))
    }

    @Test func aDeploymentWordsItsOwnPagesAndServesOnlyItsLanguages() async throws {
        let config = try ServedDeployment.repositoryConfig().replacingOccurrences(
            of: "deployment: { name: example-cloud-cn, jurisdiction: CN-PIPL, timezone: Asia/Shanghai }",
            with: """
                deployment:
                  name: example-cloud-cn
                  jurisdiction: CN-PIPL
                  timezone: Asia/Shanghai
                  languages: [zh-Hans]
                  texts: { zh-Hans: { home.lead: 示例云只在中国大陆提供服务。 } }
                """
        ).replacingOccurrences(
            of: "    grounds: [purpose-achieved, service-ended, consent-withdrawn, unlawful-processing, other-law]",
            with: """
                    grounds: [purpose-achieved, service-ended, consent-withdrawn, unlawful-processing, other-law]
                    texts: { zh-Hans: { explanation: 删除您在示例云保存的个人信息。 } }
                """)
        let server = try await ServedDeployment(config: config)
        let home = try await server.call(.GET, "/", headers: ["Accept-Language": "en-GB,en;q=0.9"])
        #expect(home.text.contains("<html lang=\"zh-Hans\">"), "English is not served here, whatever the browser prefers")
        #expect(home.text.contains("示例云只在中国大陆提供服务。") && home.text.contains("删除您在示例云保存的个人信息。"))
        #expect(home.text.contains("查看我们持有的您的信息"), "what the deployment does not reword is the module's")
        #expect(!home.text.contains("?lang=en\""), "no link to a language not served")
        let asked = try await server.call(.GET, "/?lang=en")
        #expect(asked.text.contains("<html lang=\"zh-Hans\">"))
    }
}
