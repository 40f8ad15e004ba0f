import Foundation
import RightsKernel
import RightsStorage

/// How the ledger's records appear in the API: subjects see their request's state and
/// outcome; operators also see who it is about; auditors see everything but personal data.
extension RightsAPI {
    static func status(_ request: RightRequest) -> Components.Schemas.RequestStatus {
        Components.Schemas.RequestStatus(
            id: request.id.rawValue, right: request.right, state: state(request.state),
            receivedAt: request.receivedAt, dueAt: request.dueAt, extended: request.extensionReason != nil,
            extensionReason: request.extensionReason, fee: fee(request), outcome: request.outcome.map(outcome)
        )
    }

    /// A request for the admin endpoints; `personalData: false` (auditors) leaves out the
    /// subject, the contact, the reference and the parameters.
    static func admin(_ request: RightRequest, personalData: Bool, now: Date) -> Components.Schemas.AdminRequest {
        var view = Components.Schemas.AdminRequest(
            id: request.id.rawValue, right: request.right, state: state(request.state),
            requester: Components.Schemas.Role(rawValue: request.requester.rawValue) ?? .subject,
            receivedAt: request.receivedAt, dueAt: request.dueAt, overdue: !request.state.isFinal && request.dueAt < now,
            extensionReason: request.extensionReason, reviewRequested: request.reviewRequested,
            verification: request.verification?.rawValue, failures: request.failures,
            lastFailure: request.lastFailure.map { [$0.step, $0.message].compactMap { $0 }.joined(separator: ": ") },
            fee: fee(request), outcome: request.outcome.map(outcome),
            channel: request.channel.map { "\($0.standard.rawValue):\($0.client)" }
        )
        if personalData {
            view.subject = request.subject.map { .init(kind: $0.kind, value: $0.value) }
            view.contact = request.contact.map { .init(kind: $0.kind, value: $0.value) }
            view.reference = request.requesterReference
            view.parameters = request.parameters.isEmpty ? nil : .init(additionalProperties: request.parameters)
        }
        return view
    }

    static func state(_ state: RequestState) -> Components.Schemas.State {
        Components.Schemas.State(rawValue: state.rawValue) ?? .received
    }

    static func fee(_ request: RightRequest) -> Components.Schemas.Fee? {
        request.feeQuote.map {
            Components.Schemas.Fee(
                amount: "\($0.amount)", currency: $0.currency, accepted: request.feeAccepted,
                validUntil: request.state == .awaitingFee ? request.resumeAt : nil
            )
        }
    }

    static func outcome(_ outcome: RightOutcome) -> Components.Schemas.Outcome {
        Components.Schemas.Outcome(
            status: .init(rawValue: outcome.status.rawValue) ?? .completed, message: outcome.message,
            ground: outcome.ground?.code, groundExplanation: outcome.ground?.explanation,
            withheld: outcome.withheld.map { .init(category: $0.category.name, ground: $0.ground.code, until: $0.until) }
        )
    }

    /// An audit entry; `personalData: false` keeps the action, actor and time but drops details.
    static func audit(_ entry: AuditEntry, personalData: Bool) -> Components.Schemas.AuditEntry {
        Components.Schemas.AuditEntry(
            sequence: entry.sequence, time: entry.time, action: entry.event.action.rawValue, actor: entry.event.actor.rawValue,
            detail: personalData && !entry.event.details.isEmpty ? .init(additionalProperties: entry.event.details) : nil,
            hash: entry.hash
        )
    }

    static func hold(_ hold: Hold, now: Date) -> Components.Schemas.Hold {
        Components.Schemas.Hold(
            id: hold.id ?? 0, subjectKey: hold.subject.map { String($0.rawValue.prefix(12)) }, category: hold.category?.name,
            ground: hold.ground.code, authority: hold.authority, active: hold.isActive(at: now),
            expiresAt: hold.expiresAt, createdAt: hold.createdAt
        )
    }
}

/// The files a finished request produced that its subject may download: those its outcome
/// references inside the request's own response folder, while they are kept.
struct ResultFiles {
    struct File {
        var name: String
        var path: String
        var mediaType: String
        var size: Int64
    }

    let files: [File]

    init(of request: RightRequest) {
        var files: [File] = []
        for reference in Set(request.outcome?.references.values.map { $0 } ?? []).sorted() where reference.hasPrefix("/") {
            let url = URL(fileURLWithPath: reference)
            guard url.deletingLastPathComponent().lastPathComponent == request.id.rawValue,
                let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            files.append(File(name: url.lastPathComponent, path: url.path, mediaType: Self.mediaType(url.pathExtension), size: size))
        }
        self.files = files
    }

    static func mediaType(_ fileExtension: String) -> String {
        switch fileExtension.lowercased() {
        case "json": "application/json"
        case "html": "text/html; charset=utf-8"
        case "zip": "application/zip"
        case "csv": "text/csv"
        case "md", "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
