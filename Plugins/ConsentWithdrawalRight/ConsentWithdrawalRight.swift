import Foundation
public import RightsKernel

/// The withdrawal paragraphs of clause 5.3: the subject withdraws consent for one purpose or
/// for all; the consent registry records it; the response lists the functions that stop
/// working; processing already carried out on the earlier consent stays valid, so no data is
/// erased here (erasure is its own request, on ground `consent-withdrawn`).
///
/// Parameter: `purpose` (a configured purpose, or `all`). Settings: ``Settings``.
public struct ConsentWithdrawalRight: RightModule {
    public static let identifier = "consent-withdrawal"
    public static let summary = "5.3 Withdrawal of consent for one purpose or all; lists what stops"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [RequestParameter("purpose", "the purpose whose consent is withdrawn, or `all`")]

    public static let dataCapabilities: Set<DataCapability> = [.reading, .consentRegistry]

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        /// Each purpose the subject may withdraw, with the functions that stop when they do.
        public var purposes: [String: [String]] = [:]

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey(
                    "purposes", type: "mapping of purpose → { functions: list of text }", default: nil,
                    "the purposes a subject may withdraw, each with the functions that stop"
                ) { settings, section in
                    for (purpose, entry) in try section.section("purposes").sections() {
                        let functions = try entry.strings("functions")
                        guard !functions.isEmpty else {
                            throw entry.invalid("functions", "list the functions that stop when this consent is withdrawn")
                        }
                        try entry.rejectUnknownKeys()
                        settings.purposes[purpose] = functions
                    }
                }
            ]
        }

        public func validate(in section: ConfigSection) throws(ConfigError) {
            guard !purposes.isEmpty else { throw section.invalid("purposes", "expected at least one purpose") }
        }
    }

    let purposes: [String: [String]]
    let registry: any ConsentRegistry

    public func choices(for parameter: String) -> [String]? {
        parameter == "purpose" ? purposes.keys.sorted() + ["all"] : nil
    }

    public init(settings: Settings, services: Services) throws {
        purposes = settings.purposes
        registry = try services.data.capability(.consentRegistry, as: (any ConsentRegistry).self)
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        let known = purposes.keys.sorted()
        guard let purpose = request.parameters["purpose"], purpose == "all" || purposes[purpose] != nil else {
            throw IntakeError(field: "purpose", "expected one of \(known.joined(separator: ", ")) or all")
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject, let purpose = request.parameters["purpose"] else {
            return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete"))
        }
        let chosen = purpose == "all" ? purposes.keys.sorted() : [purpose]
        let withdrawal = try await context.step("consent.withdraw", durability: .idempotent) { effects in
            let withdrawal = try await registry.withdrawConsent(
                [subject], purposes: chosen, request: request.id, at: context.services.clock.now)
            effects.record(
                AuditEvent(
                    actor: .module(Self.identifier), action: .consentWithdrawn, request: request.id,
                    details: [
                        "purposes": withdrawal.withdrawn.joined(separator: ","),
                        "already": withdrawal.alreadyWithdrawn.joined(separator: ","),
                    ]))
            return withdrawal
        }
        let stopped = chosen.flatMap { purposes[$0] ?? [] }
        var message = context.said(
            to: request, "outcome.withdrawn",
            ["purposes": context.list(chosen, for: request), "stopped": context.list(stopped, for: request, strong: true)])
        message += context.said(to: request, "outcome.earlier")
        if !withdrawal.alreadyWithdrawn.isEmpty {
            message += context.said(to: request, "outcome.already", ["purposes": context.list(withdrawal.alreadyWithdrawn, for: request)])
        }
        message += context.said(to: request, "outcome.next")
        return .done(
            message,
            references: [
                "withdrawn": withdrawal.withdrawn.joined(separator: ","),
                "already_withdrawn": withdrawal.alreadyWithdrawn.joined(separator: ","),
                "functions_stopped": stopped.joined(separator: "; "),
            ])
    }
}

extension AuditAction {
    /// Consent withdrawn for purposes, recorded in the registry.
    static let consentWithdrawn = AuditAction(rawValue: "consent.withdrawn")
}
