import Foundation

extension RequestPipeline {
    /// Removes the files a finished request produced (its `<output>/<request id>/` folders, as its
    /// outcome references them) once the request has been final for longer than
    /// `services.exports.retention_days`; returns how many folders went. `resume` runs it.
    public func removeExpiredResponses() async throws -> Int {
        let cutoff = services.clock.now.addingTimeInterval(-deployment.settings.exportRetention)
        var removed = 0
        let finished = try await services.ledger.requests(RequestQuery(states: [.completed, .partiallyCompleted, .denied]))
        for request in finished where request.updatedAt < cutoff {
            let folders = Set((request.outcome?.references.values ?? [:].values).compactMap { Self.responseFolder(of: $0, request: request.id) })
            for folder in folders.sorted() where FileManager.default.fileExists(atPath: folder) {
                try FileManager.default.removeItem(atPath: folder)
                removed += 1
            }
        }
        return removed
    }

    /// Erases the organisation's rows whose retention restriction has lifted, by their
    /// strategies, and records it in the audit log (counts per table, never values).
    func eraseLiftedRestrictions() async throws -> [String: Int] {
        let erased = try await services.data.eraseLiftedRestrictions(at: services.clock.now)
        if !erased.isEmpty {
            var details = erased.mapValues(String.init)
            details["rows"] = "\(erased.values.reduce(0, +))"
            try await services.audit.append(AuditEvent(actor: "system", action: "retention.lifted", details: details))
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
