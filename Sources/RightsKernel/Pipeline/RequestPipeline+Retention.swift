import Foundation

extension RequestPipeline {
    /// Removes the files a finished request produced (its `<output>/<request id>/` folders, as its
    /// outcome references them) once the request has been final for longer than
    /// `services.exports.retention_days`; returns how many folders went. `resume` runs it.
    public func removeExpiredResponses() async throws -> Int {
        let cutoff = services.clock.now.addingTimeInterval(-deployment.settings.exportRetention)
        // The longest window any count looks back over: the filing quota's or the guessing budget's.
        let kept = max(deployment.settings.intake.window, deployment.settings.identity.guessingWindow)
        try await services.ledger.forgetIntake(before: services.clock.now.addingTimeInterval(-kept))
        _ = try await services.ledger.minimiseUndelivered(
            queuedBefore: services.clock.now.addingTimeInterval(-deployment.settings.undeliveredRetention))
        var removed = 0
        while true {
            let due = try await services.ledger.responsesToRemove(finalBefore: cutoff, limit: 200)
            for request in due {
                let folders = Set(
                    (request.outcome?.references.values ?? [:].values).compactMap { Self.responseFolder(of: $0, request: request.id) })
                for folder in folders.sorted() where FileManager.default.fileExists(atPath: folder) {
                    try FileManager.default.removeItem(atPath: folder)
                    removed += 1
                }
                try await services.ledger.markResponsesRemoved(request.id)
            }
            if due.count < 200 { return removed }
        }
    }

    /// Closes requests nobody confirmed: a day after their last code expired they are denied
    /// (identity not verified) and minimised, so an unconfirmed filing, a decoy among them, does
    /// not keep anyone's identity in the ledger. Only a requester other than the subject is told.
    func closeUnconfirmed() async throws -> [RightRequest] {
        let cutoff = services.clock.now.addingTimeInterval(-(deployment.settings.identity.codeLifetime + 86_400))
        var closed: [RightRequest] = []
        for request in try await services.ledger.requests(RequestQuery(states: [.awaitingVerification])) where request.updatedAt < cutoff {
            var pending = PendingChange(request)
            let message =
                "The request was not confirmed with its verification code in time, so it is closed. A new request can be filed at any time."
            if request.requester == .subject { pending.request.contact = nil }  // the subject did not ask to hear of it
            do {
                try deny(&pending, ground: .identityNotVerified, message: message)
                closed.append(try await commit(pending))
            } catch let error as PipelineError where error.code == .conflict {
                continue  // verified meanwhile
            }
        }
        return closed
    }

    /// Erases the organisation's rows whose retention restriction has lifted, by their
    /// strategies, and records it in the audit log (counts per table, never values).
    func eraseLiftedRestrictions() async throws -> [String: Int] {
        let erased = try await (services.data as? any PersonalDataErasure)?.eraseLiftedRestrictions(at: services.clock.now) ?? [:]
        if !erased.isEmpty {
            var details = erased.mapValues(String.init)
            details["rows"] = "\(erased.values.reduce(0, +))"
            try await services.audit.append(AuditEvent(actor: .system, action: .retentionLifted, details: details))
        }
        return erased
    }

    /// The folder of a reference that is a file inside the request's own response folder.
    static func responseFolder(of reference: String, request: RequestID) -> String? {
        guard reference.hasPrefix("/") else { return nil }
        let folder = URL(fileURLWithPath: reference).deletingLastPathComponent()
        return folder.lastPathComponent == request.rawValue ? folder.path : nil
    }
}
