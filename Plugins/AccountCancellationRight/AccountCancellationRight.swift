import Foundation
public import RightsKernel

/// Clause 5.5, the right to cancel an account: an explicit confirmation after a backup warning;
/// irreversible; every account field is deleted or anonymised except those the law retains,
/// which are restricted; an account that logs in through a third party is referred to that
/// third party; the cancellation itself stays on record (the ledger and the audit chain).
///
/// Parameter: `confirm=irreversible`. Settings: ``Settings``.
public struct AccountCancellationRight: RightModule {
    public static let identifier = "account-cancellation"
    public static let summary = "5.5 Account cancellation: confirmed, irreversible, retained data restricted"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [RequestParameter("confirm", "`irreversible`: the subject read the backup warning and confirms")]
    public static let acceptedRequesters: Set<RequesterRole> = [.subject, .guardian]

    public static let dataCapabilities: Set<DataCapability> = [.reading, .erasing]
    public static let denialGrounds: [DenialGround] = [.thirdPartyAccount]

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var thirdPartyCategory = DataCategory("user.account.third_party")

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey("third_party_category", \.thirdPartyCategory, "the category whose rows name a third-party login provider")
            ]
        }
    }

    let thirdPartyCategory: DataCategory
    let data: any PersonalDataErasure

    public init(settings: Settings, services: Services) throws {
        thirdPartyCategory = settings.thirdPartyCategory
        data = try services.data.capability(.erasing, as: (any PersonalDataErasure).self)
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        guard request.parameters["confirm"] == "irreversible" else {
            throw IntakeError(
                field: "confirm", "account cancellation is irreversible; confirm with confirm=irreversible after backing up your data")
        }
    }

    public func choices(for parameter: String) -> [String]? { parameter == "confirm" ? ["irreversible"] : nil }

    struct ThirdParty: Codable, Sendable { var providers: [String] }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject else { return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete")) }
        // "When you log in … through a third-party account authorization, you need to apply to the third party."
        let thirdParty = try await context.step("cancellation.third-party", durability: .idempotent) {
            let sink = ProviderNames()
            _ = try await context.services.data.export([subject], scope: DataScope(categories: [thirdPartyCategory]), into: sink)
            return ThirdParty(providers: sink.providers.sorted())
        }
        if !thirdParty.providers.isEmpty {
            let names = context.list(thirdParty.providers, for: request)
            return .denied(.thirdPartyAccount, message: context.said(to: request, "outcome.third_party", ["names": names]))
        }
        let scope = context.scopeOutsideHolds
        let report = try await context.step("cancellation.erase", durability: .idempotent) { effects in
            let report = try await data.cancelAccount(
                [subject], scope: scope, request: request.id, at: context.services.clock.now)
            effects.record(
                AuditEvent(
                    actor: .module(Self.identifier), action: .accountCancelled, request: request.id,
                    details: [
                        "subject": request.subjectKey.rawValue, "rows_restricted": "\(report.restricted.reduce(0) { $0 + $1.rows })",
                    ]))
            return report
        }
        var outcome = RightOutcome.erasure(
            report, reason: context.said(to: request, "outcome.reason"), holds: context.categoryHolds, telling: request, in: context)
        outcome.message += context.said(to: request, "outcome.responsibilities")
        return outcome
    }
}

/// Collects the third-party providers an account logs in through.
final class ProviderNames: ExportSink {
    var providers: Set<String> = []
    func write(_ record: ExportRecord) throws {
        for (column, value) in record.values where column == "provider" {
            if let value { providers.insert(value) }
        }
        if !record.values.contains(where: { $0.column == "provider" }) { providers.insert("the third-party login provider") }
    }
}

extension DenialGround {
    /// The account logs in through a third party, where it must be cancelled.
    public static let thirdPartyAccount = DenialGround(
        code: "third-party-account", explanation: "The account logs in through a third party; apply to that third party to cancel it")
}

extension AuditAction {
    /// The subject's account rows marked cancelled for the host.
    static let accountCancelled = AuditAction(rawValue: "account.cancelled")
}
