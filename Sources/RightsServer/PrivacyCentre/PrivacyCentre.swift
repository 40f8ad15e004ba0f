import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import RightsKernel
import RightsStorage

/// The privacy centre at `/`: server-rendered pages on which a person files a request, confirms
/// it with the code and follows it to its files, in English or Simplified Chinese. Every page
/// goes through the same handlers as the API (rate limits, refusals, secrets), so there is no
/// second path into the pipeline; pages run no script, and a request's secret travels only in a
/// form post or a cookie scoped to that request, never in an address.
struct PrivacyCentre: Sendable {
    let api: RightsAPI
    let templates: MustacheLibrary
    /// The deployment's wording: the kernel's, its modules' and its own.
    let texts: PageTexts
    /// Each language's strings keyed for the templates, built once.
    let pageStrings: [PageLanguage: [String: String]]
    let stylesheet: ByteBuffer
    let bodyLimit: Int
    /// The open standards' clients, whose declared addresses a person may be sent back to.
    let standards: StandardsSource?

    /// What a page may load: our own style sheet, nothing else; forms post only to us; no
    /// script at all, no frame around it.
    static let pagePolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    static func load(api: RightsAPI, bodyLimit: Int, standards: StandardsSource? = nil) async throws -> PrivacyCentre {
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil),
            let stylesheet = Bundle.module.url(forResource: "Assets", withExtension: nil)?.appendingPathComponent("site.css")
        else { throw PrivacyCentreNotInstalled() }
        let texts = api.deployment.services.texts
        return PrivacyCentre(
            api: api, templates: try await MustacheLibrary(directory: templates.path), texts: texts,
            pageStrings: Dictionary(uniqueKeysWithValues: texts.languages.map { ($0, texts.catalogue($0)) }),
            stylesheet: ByteBuffer(bytes: Array(try Data(contentsOf: stylesheet))), bodyLimit: bodyLimit, standards: standards)
    }

    func register(on router: Router<ServerContext>) {
        router.get("/") { request, _ in try await home(request) }
        router.get("/assets/site.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: stylesheet))
        }
        router.get("/rights/:right") { request, context in try await form(request, right: context.parameters.get("right") ?? "") }
        router.post("/rights/:right") { request, context in try await file(request, right: context.parameters.get("right") ?? "") }
        router.get("/requests/open") { request, _ in try await openForm(request) }
        router.post("/requests/open") { request, _ in try await open(request) }
        router.get("/requests/:id") { request, context in try await status(request, id: context.parameters.get("id") ?? "") }
        router.post("/requests/:id/code") { request, context in try await answer(request, id: context.parameters.get("id") ?? "") }
        router.get("/requests/:id/confirm") { request, context in try await confirmForm(request, id: context.parameters.get("id") ?? "") }
        router.post("/requests/:id/confirm") { request, context in try await confirm(request, id: context.parameters.get("id") ?? "") }
        router.post("/requests/:id/resend") { request, context in try await resend(request, id: context.parameters.get("id") ?? "") }
        router.post("/requests/:id/fee") { request, context in try await decideFee(request, id: context.parameters.get("id") ?? "") }
        router.get("/requests/:id/results/:name") { request, context in
            try await download(request, id: context.parameters.get("id") ?? "", name: context.parameters.get("name") ?? "")
        }
    }

    // MARK: Pages

    func home(_ request: Request) async throws -> Response {
        let language = language(of: request)
        let rights = api.deployment.rights.keys.sorted().compactMap { id -> [String: Any]? in
            guard let right = api.deployment.rights[id], Self.personMayFile(type(of: right.module)) else { return nil }
            return ["id": id, "title": title(of: id, language), "explanation": explanation(of: id, language), "lang": language.rawValue]
        }
        return render(
            "home", request, language: language, title: texts.text("home.title", language),
            ["rights": rights, "lead": texts.text("home.lead", language, ["organisation": organisation])])
    }

    func form(_ request: Request, right id: String, values: [String: String] = [:], problem: APIProblem? = nil) async throws -> Response {
        let language = language(of: request, choice: values["lang"])
        guard let right = api.deployment.rights[id], Self.personMayFile(type(of: right.module)) else { return notFound(request, language) }
        let module = type(of: right.module)
        let kinds = (module.subjectKinds ?? api.deployment.identityKinds).sorted()
        let chosenKind = values["subject_kind"] ?? kinds.first ?? "email"
        let parameters = module.parameters.map { parameter -> [String: Any] in
            let value = values["p.\(parameter.name)"] ?? ""
            let choices = right.module.choices(for: parameter.name) ?? []
            return [
                "name": parameter.name, "label": texts.optional("right.\(id).param.\(parameter.name)", language) ?? parameter.meaning,
                "freeText": parameter.freeText, "required": false, "value": value,
                "problem": problem?.field == parameter.name ? problem?.message ?? "" : false,
                // One accepted value is a confirmation to tick; a short list, a choice.
                "checkbox": choices.count == 1 ? choices[0] : false, "checked": choices.count == 1 && value == choices[0],
                "hasChoices": choices.count > 1,
                "choices": choices.map {
                    [
                        "value": $0, "label": texts.optional("right.\(id).choice.\(parameter.name).\($0)", language) ?? $0,
                        "selected": $0 == value,
                    ]
                },
            ]
        }
        let subjectProblem = problem.flatMap { ["subject", "subject.value", "subject.kind"].contains($0.field ?? "") ? $0.message : nil }
        var model: [String: Any] = [
            "right": id, "explanation": explanation(of: id, language),
            "kinds": kinds.map { ["value": $0, "label": kindLabel($0, language), "selected": $0 == chosenKind] },
            "valueLabel": texts.text("form.value", language),
            "subjectValue": values["subject_value"] ?? "", "subjectProblem": subjectProblem ?? false,
            "parameters": parameters, "hasParameters": !parameters.isEmpty,
            "notice": texts.optional("right.\(id).notice", language) ?? false,
        ]
        if let problem, subjectProblem == nil, !module.parameters.contains(where: { $0.name == problem.field }) {
            model["problem"] = ["message": problem.message]
        }
        return render(
            "form", request, language: language, title: title(of: id, language), model, status: problem.map { $0.status } ?? .ok)
    }

    func file(_ request: Request, right id: String) async throws -> Response {
        try await postedForm(request) { fields, language in
            guard let right = api.deployment.rights[id], Self.personMayFile(type(of: right.module)) else {
                return notFound(request, language)
            }
            let declared = Set(type(of: right.module).parameters.map { "p.\($0.name)" })
            let known: Set<String> = ["csrf", "lang", "subject_kind", "subject_value"]
            guard fields.keys.allSatisfy({ known.contains($0) || declared.contains($0) }) else {
                return problemPage(request, language, status: .badRequest, texts.text("problem.unknown_field", language))
            }
            var parameters: [String: String] = [:]
            for (name, value) in fields where name.hasPrefix("p.") && !value.trimmingCharacters(in: .whitespaces).isEmpty {
                parameters[String(name.dropFirst(2))] = value
            }
            let intake = RequestIntake(
                right: id, subject: SubjectIdentity(kind: fields["subject_kind"] ?? "", value: fields["subject_value"] ?? ""),
                parameters: parameters, language: language)
            let filed: RightRequest
            do {
                try await api.admit(.filing)
                filed = try await api.submitted { try await api.pipeline.submit(intake) }
            } catch let problem as APIProblem {
                return try await form(request, right: id, values: fields, problem: problem)
            } catch let error as PipelineError {
                return try await form(request, right: id, values: fields, problem: APIProblem(error, now: api.now))
            }
            return redirect(
                to: "/requests/\(filed.id.rawValue)?lang=\(language.rawValue)",
                cookie: RequestCookie.setting(api.secrets.secret(for: filed.id), for: filed.id))
        }
    }

    func status(_ request: Request, id: String, problem: APIProblem? = nil, language chosen: PageLanguage? = nil) async throws -> Response {
        let language = chosen ?? language(of: request)
        let stored: RightRequest
        do {
            stored = try await api.authorised(id, RequestCookie.secret(in: request))
        } catch is APIProblem {
            return try await openForm(request, problem: texts.text("problem.not_found", language), status: .notFound)
        }
        let zone = api.deployment.services.timeZone
        var model: [String: Any] = [
            "id": stored.id.rawValue, "rightTitle": title(of: stored.right, language), "state": stored.state.rawValue,
            "stateText": texts.text("state.\(stored.state.rawValue)", language),
            "received": language.day(stored.receivedAt, in: zone), "due": language.day(stored.dueAt, in: zone),
            "extended": stored.extensionReason ?? false, "awaitingCode": stored.state == .awaitingVerification,
            "secretNote": texts.text(
                "status.secret", language, ["id": stored.id.rawValue, "secret": api.secrets.secret(for: stored.id)]),
            "codeProblem": problem?.field == "code" ? problem?.message ?? "" : false,
        ]
        if let problem, problem.field != "code" { model["problem"] = ["message": problem.message] }
        if let outcome = stored.outcome {
            model["outcome"] = [
                "message": outcome.message,
                "ground": outcome.ground.map { texts.ground($0, right: stored.right, in: language) as Any } ?? false,
            ]
            // Each withheld category once, with the day it is kept until as the person's local date.
            var seen: Set<String> = []
            let withheld = outcome.withheld.compactMap { held -> [String: Any]? in
                let until = held.until.map { Timestamp.date($0).map { language.day($0, in: zone) } ?? $0 }
                guard seen.insert("\(held.category.name)|\(held.ground.code)|\(until ?? "")").inserted else { return nil }
                return [
                    "category": held.category.name, "ground": texts.ground(held.ground, right: stored.right, in: language),
                    "until": until.map { texts.text("status.withheld.until", language, ["until": $0]) } ?? false,
                ]
            }
            model["withheld"] = withheld
            model["hasWithheld"] = !withheld.isEmpty
        }
        if stored.state == .awaitingFee, let quote = stored.feeQuote {
            model["fee"] = [
                "amount": "\(quote.amount) \(quote.currency)",
                "until": stored.resumeAt.map { language.day($0, in: zone) } ?? "-",
            ]
        }
        let files = ResultFiles(of: stored).files.map { file -> [String: Any] in
            ["id": stored.id.rawValue, "name": file.name, "size": ByteCountFormatter.string(fromByteCount: file.size, countStyle: .file)]
        }
        model["files"] = files
        model["hasFiles"] = !files.isEmpty
        return render(
            "status", request, language: language, title: texts.text("status.title", language), model,
            status: problem.map { $0.status } ?? .ok)
    }

    func answer(_ request: Request, id: String) async throws -> Response {
        try await postedForm(request) { fields, language in
            guard Set(fields.keys).isSubset(of: ["csrf", "lang", "code"]) else {
                return problemPage(request, language, status: .badRequest, texts.text("problem.unknown_field", language))
            }
            let refused = try await refusal {
                let stored = try await api.authorised(id, RequestCookie.secret(in: request))
                try await api.admit(.codeAttempt)
                _ = try await api.carriedOn(stored.id) { try await api.pipeline.verify(stored.id, code: fields["code"] ?? "") }
            }
            if let refused { return try await status(request, id: id, problem: refused, language: language) }
            return redirect(to: "/requests/\(id)?lang=\(language.rawValue)")
        }
    }

    /// The code step of a request an agent filed through an open standard, where the person
    /// confirms it themselves (DRP's `user_verification_url`; CCPA Regulations §7063 let a
    /// business verify the consumer directly). It shows no detail of the request and needs no
    /// secret: the code sent to the person's own contact is the proof, counted against their
    /// guessing budget like any other answer.
    func confirmForm(
        _ request: Request, id: String, problem: APIProblem? = nil, language chosen: PageLanguage? = nil, redirectTo: String? = nil
    ) async throws -> Response {
        let language = chosen ?? language(of: request)
        guard let requestID = RequestID(id), let stored = try await api.store.request(requestID), let channel = stored.channel else {
            return notFound(request, language)
        }
        let back = redirectTo ?? request.uri.queryParameters.get("redirect_to").map { String($0) }
        var model: [String: Any] = [
            "id": stored.id.rawValue, "awaiting": stored.state == .awaitingVerification,
            "closed": stored.state != .awaitingVerification && problem == nil,
            "lead": texts.text(
                "confirm.lead", language,
                ["agent": channel.client, "organisation": organisation, "right": title(of: stored.right, language)]),
            "redirectTo": await back.asyncMap { await admitsReturn(to: $0, channel: channel) ? $0 : nil } ?? false,
            "codeProblem": problem?.field == "code" ? problem?.message ?? "" : false,
        ]
        if let problem, problem.field != "code" { model["problem"] = ["message": problem.message] }
        return render(
            "confirm", request, language: language, title: texts.text("confirm.title", language), model,
            status: problem.map { $0.status } ?? .ok)
    }

    func confirm(_ request: Request, id: String) async throws -> Response {
        try await postedForm(request) { fields, language in
            guard Set(fields.keys).isSubset(of: ["csrf", "lang", "code", "redirect_to"]) else {
                return problemPage(request, language, status: .badRequest, texts.text("problem.unknown_field", language))
            }
            guard let requestID = RequestID(id), let stored = try await api.store.request(requestID), let channel = stored.channel,
                stored.state == .awaitingVerification
            else { return try await confirmForm(request, id: id, language: language) }
            let refused = try await refusal {
                try await api.admit(.codeAttempt)
                _ = try await api.carriedOn(stored.id) { try await api.pipeline.verify(stored.id, code: fields["code"] ?? "") }
            }
            if let refused {
                return try await confirmForm(request, id: id, problem: refused, language: language, redirectTo: fields["redirect_to"])
            }
            // A link back rather than a redirect: the page's policy lets forms lead only here.
            let back = await fields["redirect_to"].asyncMap { await admitsReturn(to: $0, channel: channel) ? $0 : nil }
            return render(
                "confirm", request, language: language, title: texts.text("confirm.title", language),
                ["id": stored.id.rawValue, "confirmed": true, "back": back ?? false])
        }
    }

    /// The address prefixes the client that filed through `channel` declared.
    func returnAddresses(_ channel: RequestChannel) async -> [URL] {
        await standards?.current().callbacks(of: channel) ?? []
    }

    /// Whether `address` is one the client that filed may send the person back to (its
    /// declared callback prefixes).
    func admitsReturn(to address: String, channel: RequestChannel) async -> Bool {
        guard let url = URL(string: address) else { return false }
        return StandardsSettings.admits(url, allowed: await returnAddresses(channel))
    }

    func resend(_ request: Request, id: String) async throws -> Response {
        try await postedForm(request) { fields, language in
            let refused = try await refusal {
                let stored = try await api.authorised(id, RequestCookie.secret(in: request))
                try await api.admit(.codeAttempt)
                try await api.pipeline.resendChallenge(stored.id)
            }
            if let refused { return try await status(request, id: id, problem: refused, language: language) }
            return redirect(to: "/requests/\(id)?lang=\(language.rawValue)")
        }
    }

    /// Accepts or declines the fee quoted for a repeated request, through the API's own handler.
    func decideFee(_ request: Request, id: String) async throws -> Response {
        try await postedForm(request) { fields, language in
            let decision = Operations.DecideFee.Input.Body.JsonPayload.DecisionPayload(rawValue: fields["decision"] ?? "")
            let refused = try await refusal {
                guard let decision else { throw APIProblem.invalid("decision", "decision is accept or decline") }
                _ = try await api.decideFee(
                    .init(
                        path: .init(id: id), headers: .init(xRequestSecret: RequestCookie.secret(in: request)),
                        body: .json(.init(decision: decision))))
            }
            if let refused { return try await status(request, id: id, problem: refused, language: language) }
            return redirect(to: "/requests/\(id)?lang=\(language.rawValue)")
        }
    }

    func openForm(_ request: Request, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = language(of: request)
        var model: [String: Any] = [:]
        if let problem { model["problem"] = ["message": problem] }
        return render("open", request, language: language, title: texts.text("open.title", language), model, status: status)
    }

    /// Takes a request's number and secret from a form post (never from the address) and keeps
    /// the secret in a cookie scoped to that request's pages.
    func open(_ request: Request) async throws -> Response {
        try await postedForm(request) { fields, language in
            let id = (fields["id"] ?? "").trimmingCharacters(in: .whitespaces)
            let secret = (fields["secret"] ?? "").trimmingCharacters(in: .whitespaces)
            guard let stored = try? await api.authorised(id, secret) else {
                return try await openForm(request, problem: texts.text("problem.not_found", language), status: .notFound)
            }
            return redirect(
                to: "/requests/\(stored.id.rawValue)?lang=\(language.rawValue)", cookie: RequestCookie.setting(secret, for: stored.id))
        }
    }

    func download(_ request: Request, id: String, name: String) async throws -> Response {
        let language = language(of: request)
        guard let stored = try? await api.authorised(id, RequestCookie.secret(in: request)),
            let file = ResultFiles(of: stored).files.first(where: { $0.name == name }),
            FileManager.default.isReadableFile(atPath: file.path)
        else { return notFound(request, language) }
        // Its media type, disposition and policy are set by ResponseHeadersMiddleware, as for the API's.
        return Response(
            status: .ok,
            body: ResponseBody(asyncSequence: ResultFileChunks(path: file.path).map { ByteBuffer(bytes: $0) }))
    }

    // MARK: Helpers

    var organisation: String { api.deployment.settings.name }

    /// A right's name as people read it: the catalogue's for the rights we ship, else the
    /// module's own summary (a right added from outside).
    func title(of right: String, _ language: PageLanguage) -> String {
        texts.optional("right.\(right).title", language) ?? api.deployment.rights[right].map { type(of: $0.module).summary } ?? right
    }

    /// What exercising the right does, in plain words (the module's summary for one added from outside).
    func explanation(of right: String, _ language: PageLanguage) -> String {
        texts.optional("right.\(right).explanation", language) ?? api.deployment.rights[right].map { type(of: $0.module).summary } ?? ""
    }

    /// Whether a person may file the right themselves (not one only operators announce).
    static func personMayFile(_ module: any RightModule.Type) -> Bool {
        module.acceptedRequesters.contains(.subject)
    }

    func kindLabel(_ kind: String, _ language: PageLanguage) -> String {
        let key = "kind.\(kind)"
        let text = texts.text(key, language)
        return text == key ? kind : text
    }

    func language(of request: Request, choice: String? = nil) -> PageLanguage {
        PageLanguage.chosen(
            choice ?? request.uri.queryParameters.get("lang"), acceptLanguage: request.headers[.acceptLanguage], among: texts.languages)
    }

    /// Runs `operation`; the refusal it met (the API's, or the pipeline's as the API tells it),
    /// or nil when it went through.
    func refusal(_ operation: () async throws -> Void) async throws -> APIProblem? {
        do {
            try await operation()
            return nil
        } catch let problem as APIProblem {
            return problem
        } catch let error as PipelineError {
            return APIProblem(error, now: api.now)
        }
    }

    /// Runs `body` with a form post's fields and language when the post came from one of our
    /// pages (its token matches the browser's form cookie); otherwise answers 403 and changes nothing.
    func postedForm(_ request: Request, _ body: ([String: String], PageLanguage) async throws -> Response) async throws -> Response {
        let fields = try await formFields(request)
        let language = language(of: request, choice: fields["lang"])
        guard FormGuard.admits(request, field: fields["csrf"]) else { return formRefused(request, language) }
        return try await body(fields, language)
    }

    /// The fields of a form post (`application/x-www-form-urlencoded`), at most the body limit.
    func formFields(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: bodyLimit)
        let text = String(buffer: buffer)
        guard !text.isEmpty else { return [:] }
        return (try? URLEncodedFormDecoder().decode([String: String].self, from: text)) ?? [:]
    }

    func render(
        _ template: String, _ request: Request, language: PageLanguage, title: String, _ model: [String: Any] = [:],
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let (token, cookie) = FormGuard.token(for: request)
        var page = model
        page["t"] = pageStrings[language] ?? [:]
        page["lang"] = language.rawValue
        page["title"] = title
        page["organisation"] = organisation
        page["csrf"] = token
        page["footer"] = texts.text(
            "footer", language, ["organisation": organisation, "jurisdiction": api.deployment.settings.policy.jurisdiction])
        page["languages"] = texts.languages.map { other -> [String: Any] in
            [
                "code": other.rawValue, "name": texts.text("language.name", other), "current": other == language,
                "href": "\(request.uri.path)?lang=\(other.rawValue)",
            ]
        }
        let html = templates.render(page, withTemplate: template) ?? ""
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: Self.pagePolicy],
            body: .init(byteBuffer: ByteBuffer(string: html)))
        if let cookie { response.setCookie(cookie) }
        return response
    }

    /// A 303 to `location` (a page of ours, never carrying a secret), setting `cookie` if given.
    func redirect(to location: String, cookie: Cookie? = nil) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        if let cookie { response.setCookie(cookie) }
        return response
    }

    func problemPage(_ request: Request, _ language: PageLanguage, status: HTTPResponse.Status, _ message: String) -> Response {
        render("problem", request, language: language, title: texts.text("problem.title", language), ["message": message], status: status)
    }

    func formRefused(_ request: Request, _ language: PageLanguage) -> Response {
        problemPage(request, language, status: .forbidden, texts.text("problem.form", language))
    }

    func notFound(_ request: Request, _ language: PageLanguage) -> Response {
        problemPage(request, language, status: .notFound, texts.text("problem.not_found", language))
    }
}

/// The server was installed without the privacy centre's templates beside it.
struct PrivacyCentreNotInstalled: Error, CustomStringConvertible {
    var description: String { "the privacy centre's templates are not installed beside the server" }
}

extension Optional {
    /// `flatMap` with an asynchronous transform.
    fileprivate func asyncMap<Other>(_ transform: (Wrapped) async -> Other?) async -> Other? {
        guard let self else { return nil }
        return await transform(self)
    }
}
