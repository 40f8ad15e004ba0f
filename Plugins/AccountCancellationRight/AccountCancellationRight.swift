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
    public static let parameters = [RequestParameter("confirm", "`irreversible`: the subject read the backup warning and confirms")]
    public static let acceptedRequesters: Set<RequesterRole> = [.subject, .guardian]

    public static let defaultWarning = """
        Before you confirm: cancelling your account is irreversible. We will stop providing every service and delete \
        or anonymise the information of your account, and we cannot help you retrieve it afterwards. Please back up \
        all business information under the account first. The account agreement and every service agreement under \
        it end, and you will not be able to retrieve personal information, transaction records, business data or \
        history. Cancelling does not exempt or reduce responsibilities for what was done with the account before.
        """

    public static let dataCapabilities: Set<DataCapability> = [.reading, .erasing]
    public static let denialGrounds: [DenialGround] = [.thirdPartyAccount]

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var warning = AccountCancellationRight.defaultWarning
        public var thirdPartyCategory = DataCategory("user.account.third_party")

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey(
                    "warning", type: String.settingType, default: "the backup warning of clause 5.5",
                    "the warning sent with the verification code"
                ) {
                    settings, section in settings.warning = try section.string("warning", default: settings.warning)
                },
                SettingKey("third_party_category", \.thirdPartyCategory, "the category whose rows name a third-party login provider"),
            ]
        }
    }

    let warning: String
    let thirdPartyCategory: DataCategory
    let data: any PersonalDataErasure

    public init(settings: Settings, services: Services) throws {
        warning = settings.warning
        thirdPartyCategory = settings.thirdPartyCategory
        data = try services.data.capability(.erasing, as: (any PersonalDataErasure).self)
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        guard request.parameters["confirm"] == "irreversible" else {
            throw IntakeError(
                field: "confirm", "account cancellation is irreversible; confirm with confirm=irreversible after backing up your data")
        }
    }

    public func verificationNotice(for request: RightRequest) -> String? { warning }

    public func choices(for parameter: String) -> [String]? { parameter == "confirm" ? ["irreversible"] : nil }

    /// The backup warning, read before filing as well as with the code.
    public var filingNotice: String? { warning }

    struct ThirdParty: Codable, Sendable { var providers: [String] }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject else { return .denied(.otherLaw, message: "The request no longer names its subject.") }
        // "When you log in … through a third-party account authorization, you need to apply to the third party."
        let thirdParty = try await context.step("cancellation.third-party", durability: .idempotent) {
            let sink = ProviderNames()
            _ = try await context.services.data.export([subject], scope: DataScope(categories: [thirdPartyCategory]), into: sink)
            return ThirdParty(providers: sink.providers.sorted())
        }
        if !thirdParty.providers.isEmpty {
            let names = thirdParty.providers.joined(separator: ", ")
            return .denied(
                .thirdPartyAccount, message: "Your account logs in through \(names). Please apply to \(names) to cancel it there.")
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
            report, reason: "Your account is cancelled and cannot be restored", holds: context.categoryHolds,
            in: context.services.timeZone)
        outcome.message += " Responsibilities for what was done with the account before remain."
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
