import Foundation
import RightsKernel

/// CCPA §1798.120, the right to opt out of the sale and sharing of personal information: the
/// business stops selling or sharing the consumer's data, recorded on each of their rows where
/// the host application reads it (`rightskit_processing_limits`, purposes `sale,sharing`).
/// A request to opt out need not be verifiable (CCPA Regulations §7026(d)), so it is honoured
/// without a code; it only ever limits processing.
public struct SaleOptOutRight: RightModule {
    public static let identifier = "sale-opt-out"
    public static let summary = "CCPA §1798.120 Opt-out of sale and sharing, honoured without verification"
    public static let defaultVerification = VerificationLevel.none
    /// Its wording, in English only (`Texts/en.json`): a person reading another language is
    /// told in English.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let dataCapabilities: Set<DataCapability> = [.reading, .processingLimits]

    /// The module's keys under `rights.sale-opt-out`.
    public struct Settings: ModuleSettings {
        /// The purposes that stop.
        public var purposes: [String] = ["sale", "sharing"]

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [SettingKey("purposes", \.purposes, "the purposes that stop (sale, and sharing for cross-context behavioural advertising)")]
        }

        public func validate(in section: ConfigSection) throws(ConfigError) {
            guard !purposes.isEmpty else { throw section.invalid("purposes", "expected at least one purpose") }
        }
    }

    let purposes: [String]
    let limits: any ProcessingLimits

    public init(settings: Settings, services: Services) throws {
        purposes = settings.purposes
        limits = try services.data.capability(.processingLimits, as: (any ProcessingLimits).self)
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject else { return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete")) }
        let limit = ProcessingLimit(purposes: purposes, basis: "CCPA §1798.120 opt-out")
        let report = try await context.step("sale-opt-out.limit", durability: .idempotent) {
            try await limits.limitProcessing([subject], limit, request: request.id, at: context.services.clock.now)
        }
        return .done(
            context.said(to: request, "outcome.done", ["purposes": context.list(purposes, for: request)]),
            references: ["rows": "\(report.rows.values.reduce(0, +))"])
    }
}
