import ArgumentParser
import Crypto
import Foundation
import RightsKernel
import RightsStore

/// `rightskit audit verify|checkpoint`: checks the hash chain (and its signed checkpoints);
/// signs the current head.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Inspect the audit log.", subcommands: [Verify.self, Checkpoint.self])

    struct Verify: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Verify the audit hash chain and its signed checkpoints; exits 6 on a break.")
        @OptionGroup var options: DeploymentOptions

        func run(registry: ModuleRegistry) async throws {
            let deployment = try options.open(registry)
            let settings = deployment.pipeline.deployment.settings
            let result: AuditVerification
            var checked = 0
            let published = try settings.publishedCheckpoints.map { try PublishedCheckpoints(folder: $0).read() } ?? []
            if let path = settings.auditPublicKey, let publicKey = try AuditSigningKey.publicKey(path: path) {
                // The public key alone: verifying never reads or creates the private key.
                result = try await deployment.store.verify(publicKey: publicKey, published: published)
                checked = try await deployment.store.checkpoints().count + published.count
            } else if let path = settings.auditPublicKey, try await !deployment.store.checkpoints().isEmpty || !published.isEmpty {
                throw CommandFailure(.invalidConfiguration, "no public key at \(path) to check the signed checkpoints: copy the deployment's public key there (`rightskit audit checkpoint` writes it beside the signing key)")
            } else {
                result = try await deployment.store.verify()
            }
            let simulated = try await deployment.store.simulatedEntries()
            if options.json {
                try Output.json(VerifyReport(intact: result.isIntact, result: result.description, checkpoints: checked, simulated: simulated))
            } else {
                Output.line(result.description + (checked > 0 ? "; \(checked) signed checkpoint(s) match (stored and published)" : ""))
                if simulated > 0 { Output.line("\(simulated) entries were written under a simulated clock (rehearsals with --at)") }
            }
            if !result.isIntact { throw CommandFailure(.auditBroken, "audit chain broken: \(result.description)") }
        }
    }

    /// What `audit verify --json` prints.
    struct VerifyReport: Encodable {
        var intact: Bool
        var result: String
        var checkpoints: Int
        /// Entries written under a simulated clock.
        var simulated: Int
    }

    struct Checkpoint: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Sign the chain's current head with the key of services.audit.signing_key.")
        @OptionGroup var options: DeploymentOptions

        func run(registry: ModuleRegistry) async throws {
            let deployment = try options.open(registry)
            guard let path = deployment.pipeline.deployment.settings.auditSigningKey else {
                throw CommandFailure(.refused, "no signing key: set services.audit.signing_key in \(options.config)")
            }
            let settings = deployment.pipeline.deployment.settings
            let key = try AuditSigningKey.loadOrCreate(path: path, publicKeyPath: settings.auditPublicKey ?? path + ".pub")
            guard let checkpoint = try await deployment.store.checkpoint(signingKey: key) else {
                return Output.line("the audit log is empty; nothing to sign")
            }
            if let folder = settings.publishedCheckpoints { try PublishedCheckpoints(folder: folder).append(checkpoint) }
            if options.json { return try Output.json(checkpoint) }
            Output.line("signed checkpoint at entry \(checkpoint.sequence): \(checkpoint.hash)")
        }
    }
}
