import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime
import RightsKernel
import RightsStorage

/// The handlers of the API document: each turns its typed input into one pipeline or store
/// call and its result into the document's shape. Subject endpoints need the request's secret;
/// admin endpoints a role (``Caller/current``).
struct RightsAPI: APIProtocol {
    let pipeline: RequestPipeline
    let store: any OperationsStore
    let secrets: RequestSecrets
    let metrics: ServerMetrics
    let limiter: ClientRateLimiter

    var deployment: Deployment { pipeline.deployment }
    var now: Date { deployment.services.clock.now }

    // MARK: Subject

    func listRights(_ input: Operations.ListRights.Input) async throws -> Operations.ListRights.Output {
        let rights = deployment.rights.keys.sorted().compactMap { id -> Components.Schemas.Right? in
            guard let right = deployment.rights[id] else { return nil }
            let module = type(of: right.module)
            return Components.Schemas.Right(
                id: id, title: module.summary,
                parameters: module.parameters.map { .init(name: $0.name, meaning: $0.meaning, freeText: $0.freeText) },
                requesters: module.acceptedRequesters.compactMap { Components.Schemas.Role(rawValue: $0.rawValue) }.sorted {
                    $0.rawValue < $1.rawValue
                },
                subjectKinds: (module.subjectKinds ?? deployment.identityKinds).sorted(),
                verification: .init(rawValue: right.settings.verification.rawValue) ?? .code
            )
        }
        return .ok(.init(body: .json(.init(rights: rights))))
    }

    func fileRequest(_ input: Operations.FileRequest.Input) async throws -> Operations.FileRequest.Output {
        guard case .json(let filing) = input.body else { throw APIProblem.notJSON }
        try await admit(.filing)
        let requester = filing.requester.flatMap { RequesterRole(rawValue: $0.rawValue) } ?? .subject
        guard requester != .operator else {
            throw APIProblem.invalid(
                "requester", "operators file under /v1/admin (a discontinuation is announced at /v1/admin/discontinuations)")
        }
        let intake = RequestIntake(
            right: filing.right,
            subject: SubjectIdentity(kind: filing.subject.kind, value: filing.subject.value),
            requester: requester,
            contact: filing.contact.map { SubjectIdentity(kind: $0.kind, value: $0.value) },
            requesterReference: filing.reference,
            parameters: filing.parameters?.additionalProperties ?? [:],
            language: filing.language.flatMap { TextLanguage(rawValue: $0.rawValue) }
        )
        let request = try await submitted { try await pipeline.submit(intake) }
        return .created(.init(body: .json(.init(request: Self.status(request), secret: secrets.secret(for: request.id)))))
    }

    func readRequest(_ input: Operations.ReadRequest.Input) async throws -> Operations.ReadRequest.Output {
        let request = try await authorised(input.path.id, input.headers.xRequestSecret)
        return .ok(.init(body: .json(Self.status(request))))
    }

    func answerChallenge(_ input: Operations.AnswerChallenge.Input) async throws -> Operations.AnswerChallenge.Output {
        let request = try await authorised(input.path.id, input.headers.xRequestSecret)
        guard case .json(let answer) = input.body else { throw APIProblem.notJSON }
        try await admit(.codeAttempt)
        let verified = try await carriedOn(request.id) { try await pipeline.verify(request.id, code: answer.code) }
        return .ok(.init(body: .json(Self.status(verified))))
    }

    func resendCode(_ input: Operations.ResendCode.Input) async throws -> Operations.ResendCode.Output {
        let request = try await authorised(input.path.id, input.headers.xRequestSecret)
        try await admit(.codeAttempt)
        try await pipeline.resendChallenge(request.id)
        return .accepted(.init(body: .json(Self.status(try await stored(request.id)))))
    }

    func decideFee(_ input: Operations.DecideFee.Input) async throws -> Operations.DecideFee.Output {
        let request = try await authorised(input.path.id, input.headers.xRequestSecret)
        guard case .json(let decision) = input.body else { throw APIProblem.notJSON }
        let decided = try await carriedOn(request.id) {
            switch decision.decision {
            case .accept: try await pipeline.acceptFee(request.id, actor: .requester)
            case .decline: try await pipeline.declineFee(request.id, actor: .requester)
            }
        }
        return .ok(.init(body: .json(Self.status(decided))))
    }

    func listResults(_ input: Operations.ListResults.Input) async throws -> Operations.ListResults.Output {
        let request = try await authorised(input.path.id, input.headers.xRequestSecret)
        let files = ResultFiles(of: request).files.map {
            Components.Schemas.ResultFile(name: $0.name, mediaType: $0.mediaType, size: $0.size)
        }
        return .ok(.init(body: .json(.init(files: files))))
    }

    func downloadResult(_ input: Operations.DownloadResult.Input) async throws -> Operations.DownloadResult.Output {
        let request = try await authorised(input.path.id, input.headers.xRequestSecret)
        guard let file = ResultFiles(of: request).files.first(where: { $0.name == input.path.name }),
            FileManager.default.isReadableFile(atPath: file.path)
        else {
            throw APIProblem(
                .notFound, "not_found", "no such result file; GET …/results lists them (files are removed after the retention period)")
        }
        // Streamed; its media type, disposition and policy are set by ResponseHeadersMiddleware.
        return .ok(.init(body: .binary(HTTPBody(ResultFileChunks(path: file.path), length: .known(file.size), iterationBehavior: .single))))
    }

    // MARK: Operations

    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        guard await store.isReachable() else { throw APIProblem(.serviceUnavailable, "store_unreachable", "the ledger does not answer") }
        return .ok(.init(body: .json(.init(status: "ok"))))
    }

    func metrics(_ input: Operations.Metrics.Input) async throws -> Operations.Metrics.Output {
        let text = try await metrics.exposition(store: store, rights: Array(deployment.rights.keys), at: now)
        return .ok(.init(body: .plainText(HTTPBody(text))))
    }

    // MARK: Helpers

    /// The request `id` names when `secret` is its secret; 401 without a secret, 404 for a
    /// wrong one exactly as for an unknown id.
    func authorised(_ id: String, _ secret: String?) async throws -> RightRequest {
        guard let secret, !secret.isEmpty else {
            throw APIProblem(.unauthorized, "secret_required", "send the secret returned at filing in X-Request-Secret")
        }
        guard let requestID = RequestID(id), secrets.matches(secret, for: requestID), let request = try await store.request(requestID)
        else {
            throw APIProblem.requestNotFound
        }
        return request
    }

    func stored(_ id: RequestID) async throws -> RightRequest {
        guard let request = try await store.request(id) else { throw APIProblem.requestNotFound }
        return request
    }

    /// Counts one action against the caller's per-minute limit.
    func admit(_ action: ClientRateLimiter.Action) async throws {
        if let wait = await limiter.admit(action, from: Caller.current.clientAddress, at: Date()) {
            throw APIProblem(
                .tooManyRequests, "rate_limited",
                "too many \(action == .filing ? "filings" : "code attempts") from this client; try again in \(wait) s", retryAfter: wait)
        }
    }

    /// Runs an operation that may carry a request out; when the module's work fails, the
    /// request is recorded and will be retried, so the answer is the request as it now stands.
    func carriedOn(_ id: RequestID, _ operation: () async throws -> RightRequest) async throws -> RightRequest {
        do {
            return try await operation()
        } catch let error as PipelineError where error.code == .workFailed {
            return try await stored(id)
        }
    }

    /// Files a request; a request whose immediate work failed is still filed, and its id is returned.
    func submitted(_ operation: () async throws -> RightRequest) async throws -> RightRequest {
        do {
            return try await operation()
        } catch let error as PipelineError where error.code == .workFailed && error.request != nil {
            return try await stored(error.request ?? RequestID())
        }
    }
}
