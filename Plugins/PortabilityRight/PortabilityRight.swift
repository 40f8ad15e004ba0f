public import Foundation
public import RightsKernel

/// Clause 5.6, the rights of copy and portability: a downloadable copy (JSON plus a CSV per
/// table, zipped), or a transfer to a recipient the deployment allows, only at the strong
/// verification level. Deliveries are retried, each attempt recorded, and never go to a
/// recipient that is not listed.
///
/// Parameters: `mode` (`copy` or `transfer`), `recipient` (for a transfer). Settings:
/// ``Settings``. Deliveries go through the injected ``Services/http``, limited to the listed
/// recipients' origins.
public struct PortabilityRight: RightModule {
    public static let identifier = "portability"
    public static let summary = "5.6 Copy (JSON + CSV, zipped) and transfer to an allowed recipient"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)
    public static let parameters = [
        RequestParameter("mode", "copy (a zip for the subject) or transfer (to a listed recipient)"),
        RequestParameter("recipient", "with mode=transfer: the name of a recipient the deployment lists"),
    ]
    public static let defaultVerification = VerificationLevel.strong

    public static let denialGrounds: [DenialGround] = [.recipientNotAllowed, .transferFailed]

    /// A recipient a transfer may go to.
    public struct Recipient: Sendable {
        public var url: URL
        public var organisation: String
        /// The environment variable holding the Standard Webhooks secret shared with this
        /// recipient; a transfer is never sent unsigned.
        public var secretEnvironment: String
    }

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var output = "data/exports"
        public var allowLoopbackHTTP = false
        public var recipients: [String: Recipient] = [:]
        public var attempts = 3
        public var retryAfterMinutes = 60
        public var rounds = 3

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey(path: "output", \.output, "the folder the copy is written to"),
                SettingKey("allow_loopback_http", \.allowLoopbackHTTP, "tests only: lets a recipient be plain http on a loopback address"),
                SettingKey(
                    "recipients", type: "mapping of name → { url (https), organisation, secret_env }", default: "{}",
                    "the only recipients a transfer may go to; the outbound client refuses every other origin"
                ) { settings, section in
                    guard let recipients = try section.optionalSection("recipients") else { return }
                    // Checked here for the error's location; `allow_loopback_http`, declared first, is read.
                    var allowList = OutboundAllowList(allowsLoopbackHTTP: settings.allowLoopbackHTTP)
                    for (name, entry) in try recipients.sections() {
                        let text = try entry.string("url")
                        guard let url = URL(string: text) else { throw entry.invalid("url", OutboundRefusal.notAURL(text).description) }
                        do { try allowList.allow(url) } catch { throw entry.invalid("url", "\(error)") }
                        settings.recipients[name] = Recipient(
                            url: url, organisation: try entry.string("organisation"), secretEnvironment: try entry.string("secret_env"))
                        try entry.rejectUnknownKeys()
                    }
                },
                SettingKey("attempts", \.attempts, in: 1...10, "delivery attempts per round"),
                SettingKey("retry_after_minutes", \.retryAfterMinutes, in: 0...10_080, "the wait between two rounds of attempts"),
                SettingKey("rounds", \.rounds, in: 1...20, "rounds of attempts before the transfer is given up"),
            ]
        }
    }

    let output: String
    let recipients: [String: Recipient]
    let attempts: Int
    let retryAfter: TimeInterval
    let rounds: Int
    /// The outbound client, limited to the recipients' origins.
    let http: AllowListedHTTP

    public func choices(for parameter: String) -> [String]? {
        switch parameter {
        case "mode": ["copy", "transfer"]
        case "recipient": recipients.keys.sorted()
        default: nil
        }
    }

    public init(settings: Settings, services: Services) throws {
        output = settings.output
        recipients = settings.recipients
        attempts = settings.attempts
        retryAfter = TimeInterval(settings.retryAfterMinutes * 60)
        rounds = settings.rounds
        var allowList = OutboundAllowList(allowsLoopbackHTTP: settings.allowLoopbackHTTP)
        for recipient in settings.recipients.values { try allowList.allow(recipient.url) }
        http = services.http.allowing(allowList)
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        switch request.parameters["mode"] ?? "copy" {
        case "copy": return
        case "transfer":
            guard let name = request.parameters["recipient"] else {
                throw IntakeError(field: "recipient", "a transfer names its recipient")
            }
            guard recipients[name] != nil else {
                let allowed = recipients.keys.sorted()
                throw IntakeError(
                    field: "recipient",
                    allowed.isEmpty
                        ? "this deployment allows no transfer recipients"
                        : "'\(name)' is not an allowed recipient; allowed: \(allowed.joined(separator: ", "))")
            }
        default:
            throw IntakeError(field: "mode", "expected copy or transfer")
        }
    }

    /// The JSON a transfer sends, kept beside the zip until the transfer is decided.
    package static func payload(in folder: URL) -> URL { folder.appendingPathComponent("transfer-payload.json") }

    struct Copy: Codable, Sendable {
        var archive: String
        var records: Int
        var files: [String]
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject else { return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete")) }
        let scope = context.scopeOutsideHolds
        let withheld = context.withheldByHolds
        let isTransfer = request.parameters["mode"] == "transfer"
        var transferTo: (name: String, recipient: Recipient)?
        if isTransfer {
            // Checked before anything is written: a refused transfer leaves no copy on disk.
            guard context.verification == .strong else {
                return .denied(.identityNotVerified, message: context.said(to: request, "outcome.strong"))
            }
            guard let name = request.parameters["recipient"], let recipient = recipients[name] else {
                return .denied(.recipientNotAllowed, message: context.said(to: request, "outcome.recipient"))
            }
            transferTo = (name, recipient)
        }
        let copy = try await context.step("portability.copy", durability: .idempotent) {
            let folder = try request.responseFolder(under: output)
            let staging = folder.appendingPathComponent("files")
            try PrivateFiles.createFolder(staging)
            let jsonPath = staging.appendingPathComponent("data.json").path
            let json = try context.services.exports.json(at: jsonPath)
            let csv = try context.services.exports.csv(in: staging.path)
            let summary = try await context.services.data.export([subject], scope: scope, into: TeeExportSink([json, csv]))
            try json.finish()
            try csv.finish()
            let archive = folder.appendingPathComponent("personal-information.zip").path
            let files = [jsonPath] + csv.files
            try context.services.exports.archive(files, to: archive)
            if isTransfer {
                let payload = Self.payload(in: folder)
                try? FileManager.default.removeItem(at: payload)
                try FileManager.default.moveItem(atPath: jsonPath, toPath: payload.path)
            }
            // The zip holds the files; the loose copies go.
            try FileManager.default.removeItem(at: staging)
            return Copy(archive: archive, records: summary.total, files: files.map { URL(fileURLWithPath: $0).lastPathComponent })
        }
        guard let (name, recipient) = transferTo else {
            return .done(
                context.said(to: request, "outcome.copy", ["records": "\(copy.records)"]), withheld: withheld,
                references: [
                    "archive": copy.archive, "records": "\(copy.records)", "files": copy.files.joined(separator: ","),
                ])
        }
        let payload = Self.payload(in: URL(fileURLWithPath: copy.archive).deletingLastPathComponent())
        let delivery = RecipientDelivery(url: recipient.url, secretEnvironment: recipient.secretEnvironment, attempts: attempts, http: http)
        // The payload is kept only while a later round may still need it.
        var keepPayload = false
        defer { if !keepPayload { try? FileManager.default.removeItem(at: payload) } }
        for round in 1...rounds {
            let result = try await context.step("portability.transfer.\(round)") { effects in
                try await delivery.deliver(payload, request: request, recipient: name, context: context, effects: &effects)
            }
            if result.delivered {
                return .done(
                    context.said(
                        to: request, "outcome.transferred", ["records": "\(copy.records)", "organisation": recipient.organisation]),
                    withheld: withheld,
                    references: [
                        "recipient": name, "status": "\(result.status)", "sha256": result.digest, "attempts": "\(round * attempts)",
                    ])
            }
            let next = result.attemptedAt.addingTimeInterval(retryAfter)
            if round < rounds, context.services.clock.now < next {
                keepPayload = true
                return .waiting(until: next, context.said(to: request, "outcome.retry"))
            }
        }
        return .denied(
            .transferFailed,
            message: context.said(
                to: request, "outcome.failed", ["organisation": recipient.organisation, "attempts": "\(rounds * attempts)"])
        )
    }
}

extension DenialGround {
    public static let recipientNotAllowed = DenialGround(
        code: "recipient-not-allowed", explanation: "The recipient is not one the deployment may transfer to")
    public static let transferFailed = DenialGround(code: "transfer-failed", explanation: "The designated recipient could not be reached")
}
