import Foundation
import RightsKernel

/// Clause 5.6, the rights of copy and portability: a downloadable copy (JSON plus a CSV per
/// table, zipped), or a transfer to a recipient the deployment allows, only at the strong
/// verification level. Deliveries are retried, each attempt recorded, and never go to a
/// recipient that is not listed.
///
/// Parameters: `mode` (`copy` or `transfer`), `recipient` (for a transfer). Keys: `output`,
/// `recipients` (name → `url`, `organisation`; `https` only), `attempts` (per round, default 3),
/// `retry_after_minutes` (between rounds, default 60), `rounds` (default 3),
/// `allow_loopback_http` (tests only: lets a recipient be `http://127.0.0.1:…`).
public struct PortabilityRight: RightModule {
    public static let identifier = "portability"
    public static let summary = "5.6 Copy (JSON + CSV, zipped) and transfer to an allowed recipient"
    public static let parameters = [
        RequestParameter("mode", "copy (a zip for the subject) or transfer (to a listed recipient)"),
        RequestParameter("recipient", "with mode=transfer: the name of a recipient the deployment lists"),
    ]
    public static let defaultVerification = VerificationLevel.strong

    struct Recipient: Sendable {
        var url: URL
        var organisation: String
    }

    let output: String
    let recipients: [String: Recipient]
    let attempts: Int
    let retryAfter: TimeInterval
    let rounds: Int

    public init(configuration: ConfigSection, services: Services) throws {
        output = try configuration.path("output", default: "data/exports")
        let loopbackHTTP = try configuration.bool("allow_loopback_http", default: false)
        var recipients: [String: Recipient] = [:]
        if let section = try configuration.optionalSection("recipients") {
            for (name, entry) in try section.sections() {
                let text = try entry.string("url")
                guard let url = URL(string: text), let host = url.host, !host.isEmpty else {
                    throw entry.invalid("url", "expected an https URL, found '\(text)'")
                }
                let isLoopback = ["127.0.0.1", "::1", "localhost"].contains(host)
                guard url.scheme == "https" || (url.scheme == "http" && isLoopback && loopbackHTTP) else {
                    throw entry.invalid("url", "a transfer carries personal data, so only https is allowed (plain http only to a loopback address, with allow_loopback_http: true in a test deployment)")
                }
                recipients[name] = Recipient(url: url, organisation: try entry.string("organisation"))
                try entry.rejectUnknownKeys()
            }
        }
        self.recipients = recipients
        attempts = try configuration.int("attempts", default: 3, in: 1...10)
        retryAfter = TimeInterval(try configuration.int("retry_after_minutes", default: 60, in: 0...10_080) * 60)
        rounds = try configuration.int("rounds", default: 3, in: 1...20)
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        switch request.parameters["mode"] ?? "copy" {
        case "copy": return
        case "transfer":
            guard let name = request.parameters["recipient"] else { throw IntakeError(field: "recipient", "a transfer names its recipient") }
            guard recipients[name] != nil else {
                let allowed = recipients.keys.sorted()
                throw IntakeError(field: "recipient", allowed.isEmpty ? "this deployment allows no transfer recipients" : "'\(name)' is not an allowed recipient; allowed: \(allowed.joined(separator: ", "))")
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
        guard let subject = request.subject else { return .denied(.otherLaw, message: "The request no longer names its subject.") }
        let scope = context.scopeOutsideHolds
        let withheld = context.withheldByHolds
        let isTransfer = request.parameters["mode"] == "transfer"
        var transferTo: (name: String, recipient: Recipient)?
        if isTransfer {
            // Checked before anything is written: a refused transfer leaves no copy on disk.
            guard context.verification == .strong else {
                return .denied(.identityNotVerified, message: "A transfer to another organisation requires strong identity verification.")
            }
            guard let name = request.parameters["recipient"], let recipient = recipients[name] else {
                return .denied(.recipientNotAllowed, message: "The recipient is not one this deployment may transfer to.")
            }
            transferTo = (name, recipient)
        }
        let copy = try await context.step("portability.copy", durability: .idempotent) {
            let folder = try request.responseFolder(under: output)
            let staging = folder.appendingPathComponent("files")
            try PrivateFiles.createFolder(staging)
            let jsonPath = staging.appendingPathComponent("data.json").path
            let json = try JSONExportWriter(path: jsonPath)
            let csv = try CSVExportWriter(folder: staging.path)
            let summary = try await context.services.data.export([subject], scope: scope, into: TeeExportSink([json, csv]))
            try json.finish()
            try csv.finish()
            let archive = folder.appendingPathComponent("personal-information.zip").path
            let files = [jsonPath] + csv.files
            try ZipArchive.write(files, to: archive)
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
            return .done("Your copy is ready to download: \(copy.records) record(s) as JSON and CSV in one ZIP file.", withheld: withheld, references: [
                "archive": copy.archive, "records": "\(copy.records)", "files": copy.files.joined(separator: ","),
            ])
        }
        let payload = Self.payload(in: URL(fileURLWithPath: copy.archive).deletingLastPathComponent())
        let delivery = RecipientDelivery(url: recipient.url, attempts: attempts)
        // The payload is kept only while a later round may still need it.
        var keepPayload = false
        defer { if !keepPayload { try? FileManager.default.removeItem(at: payload) } }
        for round in 1...rounds {
            let result = try await context.step("portability.transfer.\(round)") { effects in
                try await delivery.deliver(payload, request: request, recipient: name, context: context, effects: &effects)
            }
            if result.delivered {
                return .done("Transferred \(copy.records) record(s) to \(recipient.organisation).", withheld: withheld, references: [
                    "recipient": name, "status": "\(result.status)", "sha256": result.digest, "attempts": "\(round * attempts)",
                ])
            }
            let next = result.attemptedAt.addingTimeInterval(retryAfter)
            if round < rounds, context.services.clock.now < next {
                keepPayload = true
                return .waiting(until: next, "The recipient could not be reached; we will try again.")
            }
        }
        return .denied(.transferFailed, message: "\(recipient.organisation) could not be reached after \(rounds * attempts) attempts. You can still download your copy.")
    }
}

extension DenialGround {
    public static let recipientNotAllowed = DenialGround(code: "recipient-not-allowed", explanation: "The recipient is not one the deployment may transfer to")
    public static let transferFailed = DenialGround(code: "transfer-failed", explanation: "The designated recipient could not be reached")
}
