import Foundation
import HTTPTypes
import Hummingbird
import RightsKernel
import RightsStorage

/// The privacy team's console at `/console`: signed in with an operator token (kept in an
/// `HttpOnly; Secure; SameSite=Strict` cookie scoped to the console, and checked against the
/// ledger on every page, so a revoked token signs out at once), it shows the queue by due date,
/// one request with its audit trail, holds and the audit verification, and acts through the
/// admin API's own handlers: each role sees and does exactly what the API lets it.
struct OperatorConsole: Sendable {
    let centre: PrivacyCentre

    static let cookieName = "rightskit-operator"
    /// Requests due within this many seconds are marked on the queue.
    static let dueSoon: TimeInterval = 3 * 86_400

    var api: RightsAPI { centre.api }
    var texts: PageTexts { centre.texts }

    func register(on router: Router<ServerContext>) {
        router.get("/console") { request, _ in try await signedIn(request) { token in try await queue(request, token) } }
        router.post("/console/sign-in") { request, _ in try await signIn(request) }
        router.post("/console/sign-out") { request, _ in try await signOut(request) }
        router.get("/console/requests") { request, _ in
            let id = request.uri.queryParameters.get("id")?.trimmingCharacters(in: .whitespaces) ?? ""
            let language = centre.language(of: request)
            return centre.redirect(to: "/console/requests/\(RightsKernel.RequestID(id)?.rawValue ?? "-")?lang=\(language.rawValue)")
        }
        router.get("/console/requests/:id") { request, context in
            try await signedIn(request) { token in try await requestPage(request, token, id: context.parameters.get("id") ?? "") }
        }
        for action in ["approve", "deny", "extend", "review", "charge"] {
            router.post("/console/requests/:id/\(action)") { request, context in
                try await decide(request, action: action, id: context.parameters.get("id") ?? "")
            }
        }
        router.get("/console/holds") { request, _ in try await signedIn(request) { token in try await holds(request, token) } }
        router.post("/console/holds") { request, _ in try await placeHold(request) }
        router.post("/console/holds/:hold/lift") { request, context in
            try await liftHold(request, hold: context.parameters.get("hold") ?? "")
        }
        router.get("/console/audit") { request, _ in try await signedIn(request) { token in try await audit(request, token) } }
        router.get("/console/discontinuations") { request, _ in
            try await signedIn(request) { token in discontinuationPage(request, token) }
        }
        router.post("/console/discontinuations") { request, _ in try await announce(request) }
        router.get("/console/reports") { request, _ in try await signedIn(request) { token in try await reports(request, token) } }
        router.get("/console/reports.csv") { request, _ in try await signedIn(request) { token in try await reportsCSV(request, token) } }
    }

    // MARK: Signing in and out

    /// The operator whose token the console cookie holds, if it is still valid.
    func operatorToken(_ request: Request) async -> OperatorToken? {
        guard let secret = request.cookies[Self.cookieName]?.value, !secret.isEmpty, secret.count <= 256 else { return nil }
        return try? await api.store.token(secret: secret)
    }

    /// Runs `page` for the signed-in operator, or shows the sign-in form.
    func signedIn(_ request: Request, _ page: (OperatorToken) async throws -> Response) async throws -> Response {
        guard let token = await operatorToken(request) else { return signInPage(request) }
        return try await page(token)
    }

    func signInPage(_ request: Request, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let language = centre.language(of: request)
        var model: [String: Any] = [:]
        if let problem { model["problem"] = ["message": problem] }
        return centre.render(
            "console-signin", request, language: language, title: texts.text("console.signin", language), model, status: status)
    }

    func signIn(_ request: Request) async throws -> Response {
        try await centre.postedForm(request) { fields, language in
            let secret = (fields["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty, secret.count <= 256, (try? await api.store.token(secret: secret)) != nil else {
                return signInPage(request, problem: "the token is unknown or revoked", status: .unauthorized)
            }
            var response = centre.redirect(to: "/console?lang=\(language.rawValue)")
            response.setCookie(
                Cookie(name: Self.cookieName, value: secret, path: "/console", secure: true, httpOnly: true, sameSite: .strict))
            return response
        }
    }

    func signOut(_ request: Request) async throws -> Response {
        try await centre.postedForm(request) { fields, language in
            var response = centre.redirect(to: "/console?lang=\(language.rawValue)")
            response.setCookie(
                Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/console", secure: true, httpOnly: true, sameSite: .strict))
            return response
        }
    }

    // MARK: Pages

    func queue(_ request: Request, _ token: OperatorToken) async throws -> Response {
        let language = centre.language(of: request)
        let zone = api.deployment.services.timeZone
        let state = request.uri.queryParameters.get("state").flatMap { Components.Schemas.State(rawValue: $0) }
        let right = request.uri.queryParameters.get("right").flatMap { api.deployment.rights[$0] == nil ? nil : $0 }
        var model: [String: Any] = [
            "states": RequestState.allCases.map {
                ["value": $0.rawValue, "label": stateText($0.rawValue, language), "selected": $0.rawValue == state?.rawValue]
            },
            "rights": api.deployment.rights.keys.sorted().map {
                ["value": $0, "label": centre.title(of: $0, language), "selected": $0 == right]
            },
        ]
        do {
            let output = try await acting(as: token) {
                try await api.listRequests(.init(query: .init(state: state, right: right, limit: RightsAPI.maximumPage)))
            }
            guard case .ok(let ok) = output, case .json(let page) = ok.body else { throw APIProblem.notJSON }
            let now = api.now
            let rows = page.requests.sorted { $0.dueAt < $1.dueAt }.map { view -> [String: Any] in
                let final = RequestState(rawValue: view.state.rawValue)?.isFinal ?? true
                return [
                    "id": view.id, "short": String(view.id.prefix(8)), "right": centre.title(of: view.right, language),
                    "state": view.state.rawValue, "stateText": stateText(view.state.rawValue, language),
                    "channel": view.channel ?? texts.text("console.channel.own", language),
                    "due": Timestamp.day(view.dueAt, in: zone),
                    "received": Timestamp.day(view.receivedAt, in: zone), "overdue": view.overdue,
                    "dueSoon": !final && !view.overdue && view.dueAt.timeIntervalSince(now) < Self.dueSoon,
                ]
            }
            model["mayList"] = true
            model["requests"] = rows
            model["hasRequests"] = !rows.isEmpty
        } catch let problem as APIProblem where problem.status == .forbidden {
            model["mayList"] = false
        }
        return page("console-queue", request, token, title: texts.text("console.queue.title", language), model)
    }

    func requestPage(_ request: Request, _ token: OperatorToken, id: String, notice: String? = nil, problem: APIProblem? = nil) async throws
        -> Response
    {
        let language = centre.language(of: request)
        let zone = api.deployment.services.timeZone
        let inspected: Operations.InspectRequest.Output
        do {
            inspected = try await acting(as: token) { try await api.inspectRequest(.init(path: .init(id: id))) }
        } catch let refused as APIProblem {
            return problemPage(request, token, refused)
        }
        guard case .ok(let ok) = inspected, case .json(let body) = ok.body else { throw APIProblem.notJSON }
        let view = body.request
        var model: [String: Any] = [
            "id": view.id, "rightTitle": centre.title(of: view.right, language), "state": view.state.rawValue,
            "stateText": stateText(view.state.rawValue, language), "received": Timestamp.day(view.receivedAt, in: zone),
            "due": Timestamp.day(view.dueAt, in: zone), "overdue": view.overdue, "extended": view.extensionReason ?? false,
            "requester": view.requester.rawValue, "verification": view.verification ?? "-",
            "subject": view.subject.map { "\($0.kind): \($0.value)" } ?? false,
            "contact": view.contact.map { "\($0.kind): \($0.value)" } ?? false,
            "parameters": view.parameters.map {
                $0.additionalProperties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            }
                ?? false,
            "mayDecide": [.operator, .reviewer].contains(token.role) && !(RequestState(rawValue: view.state.rawValue)?.isFinal ?? true),
            "mayExtend": token.role == .operator,
            "grounds": api.deployment.denialGrounds.map { ["code": $0.code, "explanation": $0.explanation] },
            "audit": body.audit.map { entry -> [String: Any] in
                [
                    "sequence": entry.sequence, "action": entry.action, "actor": entry.actor,
                    "time": Timestamp.date(entry.time).map { Timestamp.localTime($0, in: zone) } ?? entry.time,
                ]
            },
        ]
        if let outcome = view.outcome {
            model["outcome"] = [
                "message": outcome.message, "ground": (outcome.groundExplanation ?? outcome.ground).map { $0 as Any } ?? false,
            ]
        }
        if let notice { model["notice"] = notice }
        if let problem { model["problem"] = ["message": problem.message] }
        return page(
            "console-request", request, token, title: texts.text("console.request.title", language, ["id": view.id]), model,
            status: problem?.status ?? .ok)
    }

    /// Approve, deny (with a ground), extend (with a reason) or send to review, through the
    /// admin API's handler for it; then the request's page again, with what happened.
    func decide(_ request: Request, action: String, id: String) async throws -> Response {
        try await centre.postedForm(request) { fields, language in
            guard let token = await operatorToken(request) else { return signInPage(request, status: .unauthorized) }
            let refused = try await centre.refusal {
                try await acting(as: token) {
                    switch action {
                    case "approve": _ = try await api.approveRequest(.init(path: .init(id: id)))
                    case "deny":
                        let note = fields["note"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
                        _ = try await api.denyRequest(
                            .init(path: .init(id: id), body: .json(.init(ground: fields["ground"] ?? "", note: note))))
                    case "extend":
                        _ = try await api.extendRequest(.init(path: .init(id: id), body: .json(.init(reason: fields["reason"] ?? ""))))
                    case "charge":
                        _ = try await api.chargeRequest(.init(path: .init(id: id), body: .json(.init(finding: fields["finding"] ?? ""))))
                    default: _ = try await api.reviewRequest(.init(path: .init(id: id)))
                    }
                }
            }
            if let refused { return try await requestPage(request, token, id: id, problem: refused) }
            return centre.redirect(to: "/console/requests/\(RightsKernel.RequestID(id)?.rawValue ?? "-")?lang=\(language.rawValue)")
        }
    }

    func holds(_ request: Request, _ token: OperatorToken, problem: APIProblem? = nil) async throws -> Response {
        let language = centre.language(of: request)
        let zone = api.deployment.services.timeZone
        let listed: Operations.ListHolds.Output
        do {
            listed = try await acting(as: token) { try await api.listHolds(.init()) }
        } catch let refused as APIProblem {
            return problemPage(request, token, refused)
        }
        guard case .ok(let ok) = listed, case .json(let body) = ok.body else { throw APIProblem.notJSON }
        let rows = body.holds.sorted { $0.id > $1.id }.map { hold -> [String: Any] in
            [
                "id": hold.id, "ground": hold.ground, "authority": hold.authority, "active": hold.active,
                "scope": [hold.subjectKey.map { "subject \($0)…" }, hold.category].compactMap { $0 }.joined(separator: " · "),
                "expires": hold.expiresAt.map { Timestamp.day($0, in: zone) } ?? "-",
            ]
        }
        var model: [String: Any] = [
            "holds": rows, "hasHolds": !rows.isEmpty,
            "grounds": DenialGround.exceptionGrounds.map { ["code": $0.code, "explanation": $0.explanation] },
        ]
        if let problem { model["problem"] = ["message": problem.message] }
        return page(
            "console-holds", request, token, title: texts.text("console.holds.title", language), model, status: problem?.status ?? .ok)
    }

    func placeHold(_ request: Request) async throws -> Response {
        try await centre.postedForm(request) { fields, language in
            guard let token = await operatorToken(request) else { return signInPage(request, status: .unauthorized) }
            func given(_ name: String) -> String? {
                fields[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            }
            let placement = Components.Schemas.HoldPlacement(
                subject: given("subject").map { .init(kind: "email", value: $0) }, category: given("category"),
                ground: fields["ground"] ?? "",
                authority: given("authority") ?? "", expires: given("expires"))
            do {
                _ = try await acting(as: token) { try await api.placeHold(.init(body: .json(placement))) }
            } catch let problem as APIProblem {
                if problem.status == .forbidden { return problemPage(request, token, problem) }
                return try await holds(request, token, problem: problem)
            }
            return centre.redirect(to: "/console/holds?lang=\(language.rawValue)")
        }
    }

    func liftHold(_ request: Request, hold: String) async throws -> Response {
        try await centre.postedForm(request) { fields, language in
            guard let token = await operatorToken(request) else { return signInPage(request, status: .unauthorized) }
            do {
                _ = try await acting(as: token) { try await api.liftHold(.init(path: .init(holdID: Int64(hold) ?? -1))) }
            } catch let problem as APIProblem {
                if problem.status == .forbidden { return problemPage(request, token, problem) }
                return try await holds(request, token, problem: problem)
            }
            return centre.redirect(to: "/console/holds?lang=\(language.rawValue)")
        }
    }

    func audit(_ request: Request, _ token: OperatorToken) async throws -> Response {
        let language = centre.language(of: request)
        var model: [String: Any] = ["configured": false]
        do {
            let output = try await acting(as: token) { try await api.verifyAudit(.init()) }
            if case .ok(let ok) = output, case .json(let verdict) = ok.body {
                model = [
                    "configured": true, "intact": verdict.intact, "result": verdict.result, "checkpoints": verdict.checkpoints,
                    "verdict": texts.text(verdict.intact ? "console.audit.intact" : "console.audit.broken", language),
                ]
                // The latest signed checkpoint: what an outsider holding the public key can check.
                if let latest = try await api.store.checkpoints().last {
                    let signed = Timestamp.date(latest.signedAt).map { Timestamp.localTime($0, in: api.deployment.services.timeZone) }
                    model["latest"] = [
                        "sequence": "\(latest.sequence)", "signed": signed ?? latest.signedAt, "hash": String(latest.hash.prefix(16)),
                    ]
                }
            }
        } catch let problem as APIProblem where problem.code == "audit_not_configured" {
            model["configured"] = false
        } catch let refused as APIProblem {
            return problemPage(request, token, refused)
        }
        return page("console-audit", request, token, title: texts.text("console.audit.title", language), model)
    }

    func discontinuationPage(_ request: Request, _ token: OperatorToken, problem: APIProblem? = nil) -> Response {
        let language = centre.language(of: request)
        var model: [String: Any] = [:]
        if let problem { model["problem"] = ["message": problem.message] }
        return page(
            "console-discontinuation", request, token, title: texts.text("console.discontinue.title", language), model,
            status: problem?.status ?? .ok)
    }

    /// Announces a product's discontinuation through the admin API's handler: its notice request
    /// is filed, and the console opens it.
    func announce(_ request: Request) async throws -> Response {
        try await centre.postedForm(request) { fields, language in
            guard let token = await operatorToken(request) else { return signInPage(request, status: .unauthorized) }
            var filed: String?
            let refused = try await centre.refusal {
                let output = try await acting(as: token) {
                    try await api.announceDiscontinuation(
                        .init(
                            body: .json(
                                .init(product: fields["product"] ?? "", ends: fields["ends"] ?? "", reference: fields["reference"] ?? ""))))
                }
                if case .created(let created) = output, case .json(let view) = created.body { filed = view.id }
            }
            if let refused { return discontinuationPage(request, token, problem: refused) }
            return centre.redirect(to: "/console/requests/\(filed ?? "-")?lang=\(language.rawValue)")
        }
    }

    // MARK: Reports

    /// The period a report covers: `from` and `to` as local dates (both included), by default
    /// the last twelve calendar months up to today.
    func period(_ request: Request) -> (from: Date, to: Date, fromText: String, toText: String) {
        let zone = api.deployment.services.timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let today = calendar.startOfDay(for: api.now)
        let defaultFrom =
            calendar.date(
                byAdding: .month, value: -11, to: calendar.date(from: calendar.dateComponents([.year, .month], from: today)) ?? today)
            ?? today
        let from = request.uri.queryParameters.get("from").flatMap { Timestamp.date($0, localTo: zone) } ?? defaultFrom
        let last = request.uri.queryParameters.get("to").flatMap { Timestamp.date($0, localTo: zone) } ?? today
        let to = max(calendar.date(byAdding: .day, value: 1, to: last) ?? last, from)
        return (from, to, Timestamp.day(from, in: zone), Timestamp.day(last, in: zone))
    }

    /// The report for the period, for the roles that may list requests (operator and auditor).
    func figures(_ request: Request, _ token: OperatorToken) async throws -> RequestReport {
        let period = period(request)
        return try await acting(as: token) {
            _ = try api.require([.operator, .auditor])
            let months = RequestReport.months(from: period.from, to: period.to, in: api.deployment.services.timeZone)
            return try await api.store.report(months: months, at: api.now)
        }
    }

    func reports(_ request: Request, _ token: OperatorToken) async throws -> Response {
        let language = centre.language(of: request)
        let period = period(request)
        let report: RequestReport
        do {
            report = try await figures(request, token)
        } catch let refused as APIProblem {
            return problemPage(request, token, refused)
        }
        let months = RequestReport.months(from: period.from, to: period.to, in: api.deployment.services.timeZone).map(\.label)
        let perMonth = months.map { month in
            (label: month, value: report.byRightAndMonth.filter { $0.month == month }.reduce(0) { $0 + $1.count })
        }
        let outcomes = report.byState.sorted { $0.key < $1.key }.map { (label: $0.key, value: $0.value) }
        let days = { (seconds: TimeInterval?) in seconds.map { String(format: "%.1f", $0 / 86_400) } ?? "-" }
        let model: [String: Any] = [
            "from": period.fromText, "to": period.toText,
            "csv": "/console/reports.csv?from=\(period.fromText)&to=\(period.toText)",
            "figures": [
                ["label": texts.text("console.reports.received", language), "value": "\(report.received)"],
                ["label": texts.text("console.reports.answered", language), "value": "\(report.answered)"],
                [
                    "label": texts.text("console.reports.intime", language),
                    "value": report.shareInTime.map { String(format: "%.1f %%", $0 * 100) } ?? "-",
                ],
                ["label": texts.text("console.reports.median", language), "value": days(report.medianToAnswer)],
                ["label": texts.text("console.reports.p90", language), "value": days(report.ninetiethToAnswer)],
                ["label": texts.text("console.reports.overdue", language), "value": "\(report.overdueNow)"],
                ["label": texts.text("console.reports.extended", language), "value": "\(report.extended)"],
            ],
            "monthsChart": ReportCharts.bars(id: "months", title: texts.text("console.reports.bymonth", language), perMonth),
            "outcomesChart": ReportCharts.bars(id: "outcomes", title: texts.text("console.reports.byoutcome", language), outcomes),
            "rows": report.byRightAndMonth.map { ["month": $0.month, "right": centre.title(of: $0.right, language), "count": $0.count] },
        ]
        return page("console-reports", request, token, title: texts.text("console.reports.title", language), model)
    }

    /// The same figures as the page, as CSV: `section,label,right,value`.
    func reportsCSV(_ request: Request, _ token: OperatorToken) async throws -> Response {
        let report: RequestReport
        do {
            report = try await figures(request, token)
        } catch let refused as APIProblem {
            return problemPage(request, token, refused)
        }
        let period = period(request)
        var lines = ["section,label,right,value"]
        let seconds = { (value: TimeInterval?) in value.map { String(format: "%.0f", $0) } ?? "" }
        lines += [
            "figure,received,,\(report.received)", "figure,answered,,\(report.answered)",
            "figure,answered_within_deadline,,\(report.answeredInTime)",
            "figure,share_within_deadline,,\(report.shareInTime.map { String(format: "%.4f", $0) } ?? "")",
            "figure,median_seconds_to_answer,,\(seconds(report.medianToAnswer))",
            "figure,p90_seconds_to_answer,,\(seconds(report.ninetiethToAnswer))", "figure,overdue_now,,\(report.overdueNow)",
            "figure,extensions_used,,\(report.extended)",
        ]
        lines += report.byRightAndMonth.map { "month,\($0.month),\($0.right),\($0.count)" }
        lines += report.byState.sorted { $0.key < $1.key }.map { "state,\($0.key),,\($0.value)" }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"rights-report-\(period.fromText)-\(period.toText).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n") + "\n")))
    }

    // MARK: Helpers

    /// Runs an admin handler as `token`'s operator, exactly as a call with that bearer token would.
    func acting<Result: Sendable>(as token: OperatorToken, _ body: () async throws -> Result) async throws -> Result {
        let caller = Caller.current
        return try await Caller.$current.withValue(Caller(token: token, clientAddress: caller.clientAddress, logger: caller.logger)) {
            try await body()
        }
    }

    func page(
        _ template: String, _ request: Request, _ token: OperatorToken, title: String, _ model: [String: Any],
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let language = centre.language(of: request)
        var model = model
        model["signedIn"] = texts.text("console.signed", language, ["name": token.name, "role": token.role.rawValue])
        return centre.render(template, request, language: language, title: title, model, status: status)
    }

    func problemPage(_ request: Request, _ token: OperatorToken, _ problem: APIProblem) -> Response {
        let language = centre.language(of: request)
        return page(
            "console-signin-problem", request, token, title: texts.text("problem.title", language),
            ["problem": ["message": problem.message]],
            status: problem.status)
    }

    /// A state as the privacy team reads it: the console's own words where a person's would
    /// mislead an operator ("waiting for you…"), else the privacy centre's.
    func stateText(_ state: String, _ language: PageLanguage) -> String {
        texts.optional("console.state.\(state)", language) ?? texts.text("state.\(state)", language)
    }
}
