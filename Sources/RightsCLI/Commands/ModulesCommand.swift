import Foundation
import ArgumentParser
import Logging
import RightsKernel
import RightsStore

/// `rightskit modules`: every right this build knows and whether the deployment enables it.
struct ModulesCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "modules", abstract: "List the right modules and which the deployment enables.")

    @OptionGroup var options: DeploymentOptions

    struct Listing: Encodable {
        var identifier: String
        var summary: String
        var enabled: Bool
        var verification: String
    }

    func run(registry: ModuleRegistry) async throws {
        let deployment = try await options.inspect(registry, withData: false)
        let listings = registry.modules.map { module in
            let enabled = deployment.rights[module.identifier]
            return Listing(
                identifier: module.identifier,
                summary: module.summary,
                enabled: enabled != nil,
                verification: (enabled?.settings.verification ?? module.defaultVerification).rawValue
            )
        }
        if options.json { return try Output.json(listings) }
        if listings.isEmpty { Output.line("no right modules are registered in this build") }
        for listing in listings {
            let mark = listing.enabled ? "enabled " : "disabled"
            Output.line("\(listing.identifier.padding(toLength: 22, withPad: " ", startingAt: 0)) \(mark)  verification: \(listing.verification.padding(toLength: 6, withPad: " ", startingAt: 0))  \(listing.summary)")
        }
    }
}
