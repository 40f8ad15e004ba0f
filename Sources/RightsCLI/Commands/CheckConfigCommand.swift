import ArgumentParser
import Foundation
import Logging
import RightsDrivers
import RightsKernel
import RightsPostgres
import RightsServer
import RightsStore

/// `rightskit check-config`: validates a deployment without touching its store.
struct CheckConfigCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a deployment file; exits 3 on any mistake.")

    @OptionGroup var options: DeploymentOptions

    func run(registry: ModuleRegistry) async throws {
        let deployment = try await options.inspect(registry)
        let server = try options.loading { try ServerSettings.load(path: options.config) }
        try options.loading {
            let problems = server.standards.problems(enabledRights: Set(deployment.rights.keys))
            if !problems.isEmpty { throw ConfigErrors(problems) }
        }
        for warning in ((deployment.services.data as? DataMapService)?.warnings ?? []) {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        let rights = deployment.rights.keys.sorted()
        let identity = deployment.settings.identity
        let guessing =
            "codes of \(identity.digits) digits, \(identity.failuresPerWindow) wrong answers a day per person: a guesser takes one person's code within a year with a chance of at most \(GuessingOdds.text(identity.yearlyGuessingChance))"
        if options.json {
            struct Checked: Encodable {
                var file: String
                var deployment: String
                var jurisdiction: String
                var rights: [String]
                var warnings: [String]
                var guessingChancePerYear: Double
            }
            let warnings = (((deployment.services.data as? DataMapService)?.warnings ?? [])).map(\.description)
            try Output.json(
                Checked(
                    file: options.config, deployment: deployment.settings.name, jurisdiction: deployment.settings.policy.jurisdiction,
                    rights: rights, warnings: warnings, guessingChancePerYear: identity.yearlyGuessingChance))
        } else {
            Output.line(
                "\(options.config): OK: \(deployment.settings.name) (\(deployment.settings.policy.jurisdiction)), rights: \(rights.joined(separator: ", "))"
            )
            Output.line("identity: \(guessing)")
        }
    }
}
