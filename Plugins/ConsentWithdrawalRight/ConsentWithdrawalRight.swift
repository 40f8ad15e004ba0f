import Foundation
import RightsKernel

/// The withdrawal paragraphs of clause 5.3: the subject withdraws consent for one purpose or
/// for all; the consent registry records it; the response lists the functions that stop
/// working; processing already carried out on the earlier consent stays valid, so no data is
/// erased here (erasure is its own request, on ground `consent-withdrawn`).
///
/// Parameter: `purpose` (a configured purpose, or `all`). Key: `purposes` (purpose → the
/// `functions` that stop when it is withdrawn).
public struct ConsentWithdrawalRight: RightModule {
    public static let identifier = "consent-withdrawal"
    public static let summary = "5.3 Withdrawal of consent for one purpose or all; lists what stops"
    public static let parameters = [RequestParameter("purpose", "the purpose whose consent is withdrawn, or `all`")]

    let purposes: [String: [String]]

    public init(configuration: ConfigSection, services: Services) throws {
        var purposes: [String: [String]] = [:]
        let section = try configuration.section("purposes")
        for (purpose, entry) in try section.sections() {
            let functions = try entry.strings("functions")
            guard !functions.isEmpty else { throw entry.invalid("functions", "list the functions that stop when this consent is withdrawn") }
            try entry.rejectUnknownKeys()
            purposes[purpose] = functions
        }
        guard !purposes.isEmpty else { throw configuration.invalid("purposes", "expected at least one purpose") }
        self.purposes = purposes
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        let known = purposes.keys.sorted()
        guard let purpose = request.parameters["purpose"], purpose == "all" || purposes[purpose] != nil else {
            throw IntakeError(field: "purpose", "expected one of \(known.joined(separator: ", ")) or all")
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject, let purpose = request.parameters["purpose"] else {
            return .denied(.otherLaw, message: "The request no longer names its subject and purpose.")
        }
        let chosen = purpose == "all" ? purposes.keys.sorted() : [purpose]
        let withdrawal = try await context.step("consent.withdraw", durability: .idempotent) { effects in
            let withdrawal = try await context.services.data.withdrawConsent([subject], purposes: chosen, request: request.id, at: context.services.clock.now)
            effects.record(AuditEvent(actor: "module:consent-withdrawal", action: "consent.withdrawn", request: request.id, details: [
                "purposes": withdrawal.withdrawn.joined(separator: ","), "already": withdrawal.alreadyWithdrawn.joined(separator: ","),
            ]))
            return withdrawal
        }
        let stopped = chosen.flatMap { purposes[$0] ?? [] }
        var message = "Consent withdrawn for \(chosen.joined(separator: ", ")). From now on we will no longer: \(stopped.joined(separator: "; "))."
        message += " Processing carried out on your earlier consent remains valid."
        if !withdrawal.alreadyWithdrawn.isEmpty { message += " Already withdrawn before: \(withdrawal.alreadyWithdrawn.joined(separator: ", "))." }
        message += " To have the data deleted as well, file an erasure request on the ground consent-withdrawn; to withdraw everything at once you may cancel your account."
        return .done(message, references: [
            "withdrawn": withdrawal.withdrawn.joined(separator: ","), "already_withdrawn": withdrawal.alreadyWithdrawn.joined(separator: ","),
            "functions_stopped": stopped.joined(separator: "; "),
        ])
    }
}
