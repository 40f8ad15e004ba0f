import Foundation
public import RightsKernel

/// Clause 5.9, arrangements after death: a subject records in advance what their close
/// relatives may not do with their data; after the subject's death a close relative, with
/// proof of death and of the relationship (checked by an operator), may access, copy, correct or
/// delete the relevant data for their own lawful interests, unless the arrangements say otherwise.
///
/// From the subject: `deny` (comma-separated actions, `all` or `none`). From a close relative:
/// `action` (`access`, `copy`, `correct`, `delete`), `death_proof`, `relationship_proof`
/// (document references), `interest` (the lawful interest); `field` and `value` to correct.
/// Settings: ``Settings``.
public struct PostMortemRight: RightModule {
    public static let identifier = "post-mortem"
    public static let summary = "5.9 Arrangements after death; close relatives' access, copy, correction, deletion"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [
        RequestParameter("deny", "from the subject: the actions relatives may not take (all, none, or access,copy,correct,delete)"),
        RequestParameter("action", "from a close relative: access, copy, correct or delete"),
        RequestParameter("death_proof", "a reference to the proof of death", freeText: true),
        RequestParameter("relationship_proof", "a reference to the proof of the relationship", freeText: true),
        RequestParameter("interest", "the relative's lawful interest", freeText: true),
        RequestParameter("field", "the field to correct (with action=correct)"),
        RequestParameter("value", "the corrected value (with action=correct)", freeText: true),
    ]
    public static let acceptedRequesters: Set<RequesterRole> = [.subject, .closeRelative]

    public static let dataCapabilities: Set<DataCapability> = [.reading, .correcting, .erasing]
    public static let denialGrounds: [DenialGround] = [.arrangementsForbid, .notCorrectable]

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var output = "data/exports"

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [SettingKey(path: "output", \.output, "the folder access and copy files are written to")]
        }
    }

    let output: String
    let correction: any PersonalDataCorrection
    let erasure: any PersonalDataErasure

    public init(settings: Settings, services: Services) throws {
        output = settings.output
        correction = try services.data.capability(.correcting, as: (any PersonalDataCorrection).self)
        erasure = try services.data.capability(.erasing, as: (any PersonalDataErasure).self)
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        switch request.requester {
        case .subject:
            guard let deny = request.parameters["deny"] else {
                throw IntakeError(
                    field: "deny", "record which actions relatives may not take: all, none, or a list of access, copy, correct, delete")
            }
            _ = try Self.actions(deny)
        case .closeRelative:
            guard let action = request.parameters["action"].flatMap(PostMortemAction.init(rawValue:)) else {
                throw IntakeError(field: "action", "expected one of access, copy, correct, delete")
            }
            for proof in ["death_proof", "relationship_proof", "interest"] where (request.parameters[proof] ?? "").isEmpty {
                throw IntakeError(
                    field: proof,
                    "a close relative gives \(proof.replacingOccurrences(of: "_", with: " ")) (a document reference, or the lawful interest)"
                )
            }
            if action == .correct, request.parameters["field"] == nil || request.parameters["value"] == nil {
                throw IntakeError(field: "field", "a correction names the field and the value")
            }
        default:
            throw IntakeError(field: "requester", "only the subject or a close relative")
        }
    }

    /// A relative's proofs are checked by an operator before anything is done.
    public func needsReview(_ request: RightRequest) -> Bool { request.requester == .closeRelative }

    static func actions(_ text: String) throws(IntakeError) -> Set<PostMortemAction> {
        switch text {
        case "all": return Set(PostMortemAction.allCases)
        case "none": return []
        default:
            var result: Set<PostMortemAction> = []
            for name in text.split(separator: ",") {
                guard let action = PostMortemAction(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw IntakeError(field: "deny", "expected all, none, or access, copy, correct, delete; found '\(name)'")
                }
                result.insert(action)
            }
            return result
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        if request.requester == .subject {
            let arrangement = PostMortemArrangement(forbidden: (try? Self.actions(request.parameters["deny"] ?? "none")) ?? [])
            let actions = arrangement.forbidden.map(\.rawValue).sorted().map { context.said(to: request, "choice.action.\($0)") }
            return .done(
                context.said(
                    to: request, actions.isEmpty ? "outcome.recorded.none" : "outcome.recorded.some",
                    ["actions": context.list(actions, for: request)]),
                references: ["arrangement": arrangement.recorded, "recorded": Timestamp.string(context.services.clock.now)]
            )
        }
        guard let subject = request.subject, let action = request.parameters["action"].flatMap(PostMortemAction.init(rawValue:)) else {
            return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete"))
        }
        let arrangement = try await latestArrangement(for: request.subjectKey, ledger: context.services.ledger)
        if arrangement.forbidden.contains(action) {
            return .denied(
                .arrangementsForbid,
                message: context.said(
                    to: request, "outcome.forbidden", ["action": context.said(to: request, "choice.action.\(action.rawValue)")]))
        }
        let scope = context.scopeOutsideHolds
        switch action {
        case .access, .copy:
            let file = try await context.step("post-mortem.export", durability: .idempotent) {
                let folder = try request.responseFolder(under: output)
                let path = folder.appendingPathComponent("deceased-\(action.rawValue).json").path
                let writer = try context.services.exports.json(at: path)
                _ = try await context.services.data.export([subject], scope: scope, into: writer)
                try writer.finish()
                return path
            }
            return .done(
                context.said(to: request, "outcome.ready", ["action": context.said(to: request, "choice.action.\(action.rawValue)")]),
                references: ["json": file])
        case .correct:
            guard let field = request.parameters["field"], let value = request.parameters["value"] else {
                return .denied(.otherLaw, message: context.said(to: request, "outcome.correction_incomplete"))
            }
            let result = try await context.step("post-mortem.correct", durability: .idempotent) {
                if case .corrected(let changes) = try await correction.correct(
                    [subject], field: field, value: value, scope: scope, request: request.id)
                {
                    return changes.map { "\($0.table).\($0.column)" }
                }
                return []
            }
            return result.isEmpty
                ? .denied(.notCorrectable, message: context.said(to: request, "outcome.not_correctable", ["field": field]))
                : .done(
                    context.said(to: request, "outcome.corrected", ["fields": context.list(result, for: request)]),
                    references: ["fields": result.joined(separator: ",")])
        case .delete:
            let report = try await context.step("post-mortem.delete", durability: .idempotent) {
                try await erasure.erase([subject], scope: scope, request: request.id, at: context.services.clock.now)
            }
            return .erasure(
                report, reason: context.said(to: request, "outcome.deleted_reason"), holds: context.categoryHolds, telling: request,
                in: context)
        }
    }

    /// What the subject's latest recorded arrangement forbids; nothing when they made none.
    func latestArrangement(for subject: SubjectKey, ledger: any RequestLedger) async throws -> PostMortemArrangement {
        let recorded = try await ledger.requests(RequestQuery(states: [.completed], right: Self.identifier, subject: subject))
            .filter { $0.requester == .subject }
            .max { $0.receivedAt < $1.receivedAt }
        return recorded?.outcome?.references["arrangement"].flatMap(PostMortemArrangement.init(recorded:))
            ?? PostMortemArrangement(forbidden: [])
    }
}

extension DenialGround {
    /// The deceased's arrangements forbid the action (PIPL Art. 49).
    public static let arrangementsForbid = DenialGround(
        code: "arrangements-forbid", explanation: "The deceased arranged otherwise before their death")
    /// The field named cannot be corrected here, or is not held.
    public static let notCorrectable = DenialGround(code: "not-correctable", explanation: "The information cannot be corrected here")
}
