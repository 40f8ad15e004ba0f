public import Foundation
public import RightsKernel

/// Clause 5.7, notice before a product or service is discontinued: an operator announces that
/// product X ends on date D; every subject holding X's data is notified at least the configured
/// number of days before; collection for X stops at D (recorded where host applications read
/// it); after D, X's data is deleted or anonymised by each field's strategy, retained data
/// restricted. What was sent to whom is on record in the audit chain and the outbox.
///
/// Filed by an operator: subject `product:<X>`, parameter `ends=yyyy-MM-dd`. Settings:
/// ``Settings``.
public struct DiscontinuationNoticeRight: RightModule {
    public static let identifier = "discontinuation-notice"
    public static let summary = "5.7 Notice before a product is discontinued; collection stops; data erased after"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [RequestParameter("ends", "the date collection for the product stops (yyyy-MM-dd)")]
    public static let subjectKinds: Set<String>? = ["product"]
    public static let defaultVerification = VerificationLevel.none
    public static let acceptedRequesters: Set<RequesterRole> = [.operator]

    public static let dataCapabilities: Set<DataCapability> = [.reading, .erasing, .productScope]

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var noticeDays = 15
        public var eraseAfterDays = 0

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey("notice_days", \.noticeDays, in: 0...3_650, "the least number of days between the notice and the end date"),
                SettingKey(
                    "erase_after_days", \.eraseAfterDays, in: 0...3_650, "days after the end date before the product's data is erased"),
            ]
        }
    }

    let noticeDays: Int
    let eraseAfterDays: Int
    let clock: any WallClock
    let timeZone: TimeZone
    let products: any ProductScope
    let eraser: any PersonalDataErasure

    public init(settings: Settings, services: Services) throws {
        noticeDays = settings.noticeDays
        eraseAfterDays = settings.eraseAfterDays
        clock = services.clock
        timeZone = services.timeZone
        products = try services.data.capability(.productScope, as: (any ProductScope).self)
        eraser = try services.data.capability(.erasing, as: (any PersonalDataErasure).self)
    }

    /// The product's end date, a local date of the deployment.
    func endDate(_ request: RightRequest) -> Date? {
        request.parameters["ends"].flatMap { Timestamp.date($0, localTo: timeZone) }
    }

    /// When the product's data is erased: the end date, plus `erase_after_days`.
    func erasureDate(after ends: Date) -> Date {
        CalendarPeriod.days(eraseAfterDays).added(to: ends, in: timeZone)
    }

    /// The response is due when the erasure is, not a policy deadline that falls before it.
    public func dueDate(for request: RightRequest, policyDue: Date) -> Date {
        guard let ends = endDate(request) else { return policyDue }
        return max(policyDue, erasureDate(after: ends).addingTimeInterval(86_399))
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        guard request.subject?.kind == "product" else { throw IntakeError(field: "subject", "name the product as product:<name>") }
        guard let ends = endDate(request) else {
            throw IntakeError(field: "ends", "give the date the product ends as yyyy-MM-dd")
        }
        let earliest = CalendarPeriod.days(noticeDays).added(to: clock.now, in: timeZone)
        guard ends >= earliest else {
            throw IntakeError(
                field: "ends",
                "subjects must be notified at least \(noticeDays) days before; the earliest end date is \(Timestamp.day(earliest, in: timeZone))"
            )
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let product = request.subject?.value, let ends = endDate(request) else {
            return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete"))
        }
        let services = context.services
        // Nobody chose a language for an operator's announcement: it is written in every
        // language the deployment serves, its first language first.
        let told = services.texts.languages.map { language in
            let values = ["product": product, "day": language.day(ends, in: timeZone)]
            return (
                title: services.texts.said("notice.title", for: request.right, in: language, values),
                body: services.texts.said("notice.body", for: request.right, in: language, values)
            )
        }
        _ = try await context.step("discontinuation.record", durability: .idempotent) {
            try await products.recordDiscontinuation(product: product, collectionStopsAt: ends, request: request.id)
            return true
        }
        // Journalled per subject (by salted key), so a resumed run skips those already told and
        // tells anyone who started using the product since the announcement.
        let subjects = try await products.subjects(withProduct: product)
        var notified = 0
        for identities in subjects {
            // An erased subject's columns hold HMACs or fixed text: nothing to send to.
            let reachable = identities.filter(\.isReachable)
            guard let contact = reachable.first(where: { $0.kind == "email" }) ?? reachable.first(where: { $0.kind == "phone" }) else {
                continue
            }
            let key = services.ledger.subjectKey(for: contact)
            notified += try await context.step("discontinuation.notify.\(key.rawValue)", durability: .idempotent) { effects in
                effects.send(
                    OutboundMessage(
                        kind: .discontinuation, recipient: contact,
                        title: told.map(\.title).joined(separator: " / "), body: told.map(\.body).joined(separator: "\n\n"),
                        request: request.id
                    ))
                effects.record(
                    AuditEvent(
                        actor: .module(Self.identifier), action: .noticeSent, request: request.id,
                        details: [
                            "to": key.rawValue, "channel": contact.kind, "product": product,
                        ]))
                return 1
            }
        }
        let eraseAt = erasureDate(after: ends)
        if services.clock.now < eraseAt {
            return .waiting(
                until: eraseAt,
                context.said(
                    to: request, "outcome.waiting", ["notified": "\(notified)", "product": product, "day": context.day(ends, for: request)]),
                references: ["notified": "\(notified)"])
        }
        let report = try await context.step("discontinuation.erase", durability: .idempotent) {
            var report = ErasureReport()
            for identities in subjects {
                report.merge(
                    try await eraser.erase(
                        identities, scope: DataScope(products: [product]), request: request.id, at: services.clock.now))
            }
            return report
        }
        var outcome = RightOutcome.erasure(
            report, reason: context.said(to: request, "outcome.reason", ["product": product, "day": context.day(ends, for: request)]),
            holds: [], telling: request, in: context)
        outcome.references["notified"] = "\(notified)"
        outcome.references["subjects"] = "\(subjects.count)"
        return outcome
    }
}

extension AuditAction {
    /// A subject told of a discontinuation.
    static let noticeSent = AuditAction(rawValue: "notice.sent")
}
