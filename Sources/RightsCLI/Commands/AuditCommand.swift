import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit audit verify|checkpoint`: checks the hash chain (and its signed checkpoints);
/// signs the current head.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Inspect the audit log.", subcommands: [Verify.self, Checkpoint.self])

    struct Verify: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the audit hash chain and its signed checkpoints; exits 6 on a break.")
        @OptionGroup var options: DeploymentOptions
        @Option(help: "The public key to check checkpoints with (base64 of 32 bytes), instead of services.audit.public_key.")
        var publicKey: String?

        func run(registry: ModuleRegistry) async throws {
            let deployment = try await options.open(registry)
            var settings = deployment.pipeline.deployment.settings
            if let publicKey {
                guard FileManager.default.isReadableFile(atPath: publicKey) else {
                    throw CommandFailure(.invalidConfiguration, "--public-key: \(publicKey) is not a readable file")
                }
                settings.auditPublicKey = URL(fileURLWithPath: publicKey).standardizedFileURL.path
            }
            let report: AuditReport
            do {
                report = try await deployment.store.auditReport(settings: settings)
            } catch let error as AuditConfigurationError {
                throw CommandFailure(.invalidConfiguration, error.description)
            }
            if options.json {
                try Output.json(report)
            } else {
                Output.line(
                    report.result
                        + (report.checkpoints > 0 ? "; \(report.checkpoints) signed checkpoint(s) match (stored and published)" : ""))
                if report.simulated > 0 {
                    Output.line("\(report.simulated) entries were written under a simulated clock (rehearsals with --at)")
                }
            }
            if !report.intact { throw CommandFailure(.auditBroken, "audit chain broken: \(report.result)") }
        }
    }

    struct Checkpoint: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the chain's current head with the key of services.audit.signing_key.")
        @OptionGroup var options: DeploymentOptions

        func run(registry: ModuleRegistry) async throws {
            let deployment = try await options.open(registry)
            let signed: AuditCheckpoint?
            do {
                signed = try await deployment.store.signCheckpoint(settings: deployment.pipeline.deployment.settings)
            } catch let error as AuditConfigurationError {
                throw CommandFailure(.refused, "\(error.description) in \(options.config)")
            } catch let refused as AuditCheckpointRefused {
                throw CommandFailure(.auditBroken, refused.description)
            }
            guard let checkpoint = signed else { return Output.line("the audit log is empty; nothing to sign") }
            if options.json { return try Output.json(checkpoint) }
            Output.line("signed checkpoint at entry \(checkpoint.sequence): \(checkpoint.hash)")
        }
    }
}
