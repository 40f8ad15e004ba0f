import Foundation
public import RightsKernel

/// Clause 5.2, the right to correction and supplement: a field the data map marks correctable is
/// updated or filled in; a field that must be changed elsewhere (real-name authentication) is
/// refused with where to go. The old and new values are audited by fingerprint only.
///
/// Parameters: `field` (exactly one field: a category such as `user.contact.phone` that maps to
/// one column, or `table.column`) and `value`. A field under a category hold is refused with
/// the hold's ground, whichever way it is named.
/// Settings: ``Settings``.
public struct CorrectionRight: RightModule {
    public static let identifier = "correction"
    public static let summary = "5.2 Correction and supplement of correctable fields"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [
        RequestParameter("field", "the field to correct: a category (user.contact.phone) or table.column"),
        RequestParameter("value", "the correct or supplementary value", freeText: true),
    ]

    public static let dataCapabilities: Set<DataCapability> = [.reading, .correcting]
    public static let denialGrounds: [DenialGround] = [.correctElsewhere, .noSuchField, .ambiguousField, .invalidValue, .identityInUse]

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var maxLength = 500

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [SettingKey("max_length", \.maxLength, in: 1...2_000, "the longest corrected value accepted, in characters")]
        }
    }

    let maxLength: Int
    let data: any PersonalDataCorrection
    /// The categories a person may pick on the form, each naming one correctable field.
    let fields: [String]

    public init(settings: Settings, services: Services) throws {
        maxLength = settings.maxLength
        data = try services.data.capability(.correcting, as: (any PersonalDataCorrection).self)
        fields = data.correctableFields.map(\.name)
    }

    /// The data map's correctable fields; a form offers them, while the API still takes any
    /// field name (a `table.column`) and answers for it.
    public func choices(for parameter: String) -> [String]? {
        parameter == "field" && !fields.isEmpty ? fields : nil
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        guard let field = request.parameters["field"], !field.isEmpty else {
            throw IntakeError(field: "field", "name the field to correct, such as user.contact.phone")
        }
        let parts = field.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }) else {
            throw IntakeError(field: "field", "expected a category such as user.contact.phone or a table.column")
        }
        guard let value = request.parameters["value"], !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw IntakeError(field: "value", "give the corrected value")
        }
        guard value.count <= maxLength else { throw IntakeError(field: "value", "expected at most \(maxLength) characters") }
        // A field named by its category is checked before any code is sent; one named by
        // table.column is checked by the data service against the column's category.
        if let problem = CategoryValueRule.problem(with: value, for: DataCategory(field)) { throw IntakeError(field: "value", problem) }
    }

    struct Applied: Codable, Sendable {
        var changes: [FieldChange]
        var refusedField: String?
        var correctAt: String?
        var unknown: Bool
        var candidates: [String] = []
        var heldCategory: DataCategory?
        var invalidValue: String?
        var identityInUse = false
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject, let field = request.parameters["field"], let value = request.parameters["value"] else {
            return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete"))
        }
        let scope = context.scopeOutsideHolds
        let applied = try await context.step("correction.apply", durability: .idempotent) { effects in
            switch try await data.correct([subject], field: field, value: value, scope: scope, request: request.id) {
            case .corrected(let changes):
                for change in changes {
                    effects.record(
                        AuditEvent(
                            actor: .module(Self.identifier), action: .dataCorrected, request: request.id,
                            details: [
                                "field": "\(change.table).\(change.column)", "rows": "\(change.rows)",
                                "old": change.oldFingerprints.joined(separator: ","), "new": change.newFingerprint,
                            ]))
                }
                return Applied(changes: changes, refusedField: nil, correctAt: nil, unknown: false)
            case .refused(let field, let correctAt):
                return Applied(changes: [], refusedField: field, correctAt: correctAt, unknown: false)
            case .unknownField:
                return Applied(changes: [], refusedField: nil, correctAt: nil, unknown: true)
            case .notHeld:
                return Applied(changes: [], refusedField: nil, correctAt: nil, unknown: false)
            case .ambiguous(let candidates):
                return Applied(changes: [], refusedField: nil, correctAt: nil, unknown: false, candidates: candidates)
            case .outOfScope(let category):
                return Applied(changes: [], refusedField: nil, correctAt: nil, unknown: false, heldCategory: category)
            case .invalidValue(_, let reason):
                return Applied(changes: [], refusedField: nil, correctAt: nil, unknown: false, invalidValue: reason)
            case .identityInUse:
                return Applied(changes: [], refusedField: nil, correctAt: nil, unknown: false, identityInUse: true)
            }
        }
        // The field as the person's language names it, where the texts give it a name.
        let label =
            context.services.texts.optional("right.\(request.right).field.\(field)", context.services.texts.language(of: request))
            ?? field
        if let category = applied.heldCategory, let hold = context.hold(covering: category) {
            return RightOutcome(
                status: .denied, message: context.said(to: request, "outcome.held"), ground: hold.ground,
                withheld: [hold.withholding(category)])
        }
        if !applied.candidates.isEmpty {
            return .denied(
                .ambiguousField,
                message: context.said(
                    to: request, "outcome.ambiguous",
                    ["field": field, "candidates": context.list(applied.candidates, for: request, strong: true)]))
        }
        if let reason = applied.invalidValue {
            return .denied(.invalidValue, message: context.said(to: request, "outcome.invalid", ["field": label, "reason": reason]))
        }
        if applied.identityInUse {
            return .denied(.identityInUse, message: context.said(to: request, "outcome.in_use", ["field": label]))
        }
        if applied.unknown {
            return .denied(.noSuchField, message: context.said(to: request, "outcome.unknown", ["field": label]))
        }
        if let refused = applied.refusedField {
            let place =
                applied.correctAt.map { context.said(to: request, "outcome.elsewhere.at", ["place": $0]) }
                ?? context.said(to: request, "outcome.elsewhere.nowhere")
            return .denied(.correctElsewhere, message: context.said(to: request, "outcome.elsewhere", ["field": refused, "place": place]))
        }
        guard !applied.changes.isEmpty else {
            return .denied(.noSuchField, message: context.said(to: request, "outcome.not_held", ["field": label]))
        }
        let supplemented = applied.changes.allSatisfy(\.supplemented)
        let fields = applied.changes.map { "\($0.table).\($0.column)" }.joined(separator: ", ")
        return .done(
            context.said(to: request, supplemented ? "outcome.supplemented" : "outcome.corrected", ["field": label]),
            references: [
                "fields": fields,
                "old": applied.changes.flatMap(\.oldFingerprints).joined(separator: ","),
                "new": applied.changes.first?.newFingerprint ?? "",
            ])
    }
}

extension DenialGround {
    /// The field is managed elsewhere (real-name authentication at the registering site).
    public static let correctElsewhere = DenialGround(
        code: "correct-elsewhere", explanation: "This information must be changed where it was originally provided")
    /// No mapped field of that name is held about the subject.
    public static let noSuchField = DenialGround(code: "no-such-field", explanation: "No correctable information of that kind is held")
    /// The new value is not one the field can hold (an email, phone or name checked by category).
    public static let invalidValue = DenialGround(code: "invalid-value", explanation: "The new value is not valid for that field")
    /// The new value of an identity field already names another subject.
    public static let identityInUse = DenialGround(
        code: "identity-in-use", explanation: "The new value identifies another account")
    /// The name given matches several fields; a correction changes exactly one.
    public static let ambiguousField = DenialGround(code: "ambiguous-field", explanation: "The request must name exactly one field")
}

extension AuditAction {
    /// Fields corrected, old and new values by hash.
    static let dataCorrected = AuditAction(rawValue: "data.corrected")
}
