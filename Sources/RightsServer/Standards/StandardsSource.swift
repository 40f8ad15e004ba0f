import Foundation
import Logging
import RightsKernel
import RightsStorage

/// The deployment's `standards:` section as its file says it now. The file is read again when
/// it changes (looked at no more than once a second), so an agent removed, a key replaced or a
/// callback address withdrawn takes effect without a restart: a removed agent's token stops
/// working at once, and a replaced key revokes the token paired under the old one. Whether a
/// standard is mounted, and where, is fixed at start.
actor StandardsSource {
    private let path: String?
    private let store: any OperationsStore
    private let logger: Logger
    private var settings: StandardsSettings
    private var modified: Data?
    private var lastLook = Date.distantPast

    init(path: String?, initial: StandardsSettings, store: any OperationsStore, logger: Logger) {
        self.path = path
        self.store = store
        self.logger = logger
        settings = initial
        modified = path.flatMap { FileManager.default.contents(atPath: $0) }
    }

    /// The settings in force now.
    func current() async -> StandardsSettings {
        let now = Date()
        guard let path, now.timeIntervalSince(lastLook) >= 1 else { return settings }
        lastLook = now
        // The file's bytes, not its time: a change within the second it was written shows too.
        let contents = FileManager.default.contents(atPath: path)
        guard contents != modified else { return settings }
        modified = contents
        do {
            let reread = try ServerSettings.load(path: path).standards
            await revokeReplacedKeys(from: settings, to: reread)
            settings = reread
            logger.info("standards re-read from the deployment file")
        } catch {
            // A mistake while editing keeps what was in force; the error names file and line.
            logger.error("standards not re-read; keeping those in force", metadata: ["error": "\(error)"])
        }
        return settings
    }

    /// Revokes the pairwise token of every agent whose verify key changed or who is gone.
    private func revokeReplacedKeys(from old: StandardsSettings, to new: StandardsSettings) async {
        for (agent, declared) in old.dataRightsProtocol?.agents ?? [:]
        where new.dataRightsProtocol?.agents[agent]?.verifyKey != declared.verifyKey {
            _ = try? await store.revokeToken(name: DataRightsProtocol.tokenName(agent))
        }
    }
}
