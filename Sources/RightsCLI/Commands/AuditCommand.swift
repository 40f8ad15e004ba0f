import Foundation
import ArgumentParser
import RightsKernel
import RightsStore

/// `rightskit audit verify`: checks the hash chain; exits 6 and names the first break.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Inspect the audit log.", subcommands: [Verify.self])

    struct Verify: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Verify the audit hash chain.")
        @OptionGroup var options: DeploymentOptions

        func run(registry: ModuleRegistry) async throws {
            let deployment = try options.open(registry)
            let result = try await deployment.store.verify()
            if options.json {
                try Output.json(["intact": result.isIntact ? "true" : "false", "result": result.description])
            } else {
                Output.line(result.description)
            }
            if !result.isIntact { throw CommandFailure(.auditBroken, "audit chain broken: \(result.description)") }
        }
    }
}
