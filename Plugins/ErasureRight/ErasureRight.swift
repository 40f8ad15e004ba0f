import Foundation
public import RightsKernel

/// Clause 5.3, the right to erasure: the request names one of the five grounds; each field is
/// erased by its strategy; where a retention period runs, or deletion is technically
/// infeasible, the data is restricted to storage and security instead and the response says
/// what, why and until when.
///
/// Parameter: `ground`. Settings: ``Settings``.
public struct ErasureRight: RightModule {
    public static let identifier = "erasure"
    public static let summary = "5.3 Erasure on one of five grounds; retained data restricted instead"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [RequestParameter("ground", "why the data must be erased: one of the deployment's erasure grounds")]

    public static let dataCapabilities: Set<DataCapability> = [.reading, .erasing]

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        /// The grounds this deployment accepts.
        public var grounds: [ErasureGround] = ErasureGround.allCases

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [SettingKey("grounds", \.grounds, "the erasure grounds this deployment accepts")]
        }

        public func validate(in section: ConfigSection) throws(ConfigError) {
            guard !grounds.isEmpty else { throw section.invalid("grounds", "expected at least one ground") }
        }
    }

    let grounds: [ErasureGround]
    let data: any PersonalDataErasure

    public func choices(for parameter: String) -> [String]? {
        parameter == "ground" ? grounds.map(\.rawValue) : nil
    }

    public init(settings: Settings, services: Services) throws {
        grounds = settings.grounds
        data = try services.data.capability(.erasing, as: (any PersonalDataErasure).self)
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        let accepted = grounds.map(\.rawValue).joined(separator: ", ")
        guard let name = request.parameters["ground"] else {
            throw IntakeError(field: "ground", "an erasure request names its ground: \(accepted)")
        }
        guard let ground = ErasureGround(rawValue: name), grounds.contains(ground) else {
            throw IntakeError(field: "ground", "expected one of \(accepted), found '\(name)'")
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject, let ground = request.parameters["ground"].flatMap(ErasureGround.init(rawValue:)) else {
            return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete"))
        }
        let scope = context.scopeOutsideHolds
        let report = try await context.step("erasure.erase", durability: .idempotent) {
            try await data.erase([subject], scope: scope, request: request.id, at: context.services.clock.now)
        }
        let reason = context.said(to: request, "outcome.reason", ["because": context.said(to: request, "because.\(ground.rawValue)")])
        return .erasure(report, reason: reason, holds: context.categoryHolds, telling: request, in: context)
    }
}
