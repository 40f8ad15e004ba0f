import Foundation
import RightsKernel

/// GDPR Art. 18, the right to restriction of processing: on one of the four grounds of
/// Art. 18(1), the subject's data is kept but no longer processed, except to store it, with
/// their consent, for legal claims, to protect another person or for an important public
/// interest (Art. 18(2)). The restriction is recorded on each of the subject's rows, where the
/// host application reads it before processing a row (`rightskit_processing_limits`, purposes
/// NULL: everything but storage).
public struct RestrictionRight: RightModule {
    public static let identifier = "restriction"
    public static let summary = "GDPR Art. 18 Restriction of processing: the subject's rows kept, not processed"
    /// Its wording, in English and Chinese (`Texts/`): the privacy centre's card and form, and
    /// what the subject is told.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [
        RequestParameter("ground", "why processing must be restricted: one of the deployment's Art. 18(1) grounds")
    ]
    public static let dataCapabilities: Set<DataCapability> = [.reading, .processingLimits]
    public static let denialGrounds: [DenialGround] = [.restrictionGroundNotMet]

    /// The module's keys under `rights.restriction`.
    public struct Settings: ModuleSettings {
        /// The Art. 18(1) grounds this deployment accepts.
        public var grounds: [RestrictionGround] = RestrictionGround.allCases

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [SettingKey("grounds", \.grounds, "the Art. 18(1) grounds a subject may cite")]
        }

        public func validate(in section: ConfigSection) throws(ConfigError) {
            guard !grounds.isEmpty else { throw section.invalid("grounds", "expected at least one ground") }
        }
    }

    let grounds: [RestrictionGround]
    let limits: any ProcessingLimits

    public init(settings: Settings, services: Services) throws {
        grounds = settings.grounds
        limits = try services.data.capability(.processingLimits, as: (any ProcessingLimits).self)
    }

    /// The grounds a form offers: those this deployment accepts.
    public func choices(for parameter: String) -> [String]? {
        parameter == "ground" ? grounds.map(\.rawValue) : nil
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        let accepted = grounds.map(\.rawValue).joined(separator: ", ")
        guard let text = request.parameters["ground"] else {
            throw IntakeError(field: "ground", "a restriction names its ground: \(accepted)")
        }
        guard let ground = RestrictionGround(rawValue: text), grounds.contains(ground) else {
            throw IntakeError(field: "ground", "expected one of \(accepted), found '\(text)'")
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject, let ground = request.parameters["ground"].flatMap(RestrictionGround.init(rawValue:)) else {
            return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete"))
        }
        let limit = ProcessingLimit(purposes: nil, basis: "GDPR \(ground.article): \(ground.explanation)")
        let report = try await context.step("restriction.limit", durability: .idempotent) {
            try await limits.limitProcessing([subject], limit, request: request.id, at: context.services.clock.now)
        }
        let rows = report.rows.values.reduce(0, +)
        return .done(
            context.said(to: request, "outcome.done", ["article": ground.article]),
            references: ["rows": "\(rows)", "ground": ground.rawValue])
    }
}

/// The grounds of GDPR Art. 18(1).
public enum RestrictionGround: String, Sendable, CaseIterable, Codable, SettingToken {
    /// (a) The subject contests the accuracy of the data, while the controller verifies it.
    case accuracyContested = "accuracy-contested"
    /// (b) Processing is unlawful and the subject opposes erasure.
    case unlawfulErasureOpposed = "unlawful-erasure-opposed"
    /// (c) The controller no longer needs the data, but the subject needs it for legal claims.
    case neededForLegalClaims = "needed-for-legal-claims"
    /// (d) The subject objected (Art. 21(1)), pending whether the controller's grounds override.
    case objectionPending = "objection-pending"

    public var article: String {
        switch self {
        case .accuracyContested: "Art. 18(1)(a)"
        case .unlawfulErasureOpposed: "Art. 18(1)(b)"
        case .neededForLegalClaims: "Art. 18(1)(c)"
        case .objectionPending: "Art. 18(1)(d)"
        }
    }

    public var explanation: String {
        switch self {
        case .accuracyContested: "accuracy contested, pending verification"
        case .unlawfulErasureOpposed: "unlawful processing, erasure opposed"
        case .neededForLegalClaims: "needed by the subject for legal claims"
        case .objectionPending: "objection pending verification of overriding grounds"
        }
    }
}

extension DenialGround {
    /// None of the Art. 18(1) circumstances applies (an operator's finding).
    public static let restrictionGroundNotMet = DenialGround(
        code: "restriction-ground-not-met", explanation: "None of the circumstances of GDPR Art. 18(1) applies")
}
