import ArgumentParser
import Foundation
import Logging
import RightsKernel
import RightsStore

/// `rightskit modules`: every right this build knows and whether the deployment enables it.
struct ModulesCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "modules", abstract: "List the right modules and which the deployment enables.")

    @OptionGroup var options: DeploymentOptions
    @Option(help: "Describe one module: its parameters, settings (type, default, meaning), data capabilities and denial grounds.")
    var describe: String?

    struct Listing: Encodable {
        var identifier: String
        var summary: String
        var enabled: Bool
        var verification: String
    }

    func run(registry: ModuleRegistry) async throws {
        if let describe { return try self.describe(describe, registry: registry) }
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
            Output.line(
                "\(listing.identifier.padding(toLength: 22, withPad: " ", startingAt: 0)) \(mark)  verification: \(listing.verification.padding(toLength: 6, withPad: " ", startingAt: 0))  \(listing.summary)"
            )
        }
    }

    /// What a module declares, from the declarations themselves; no deployment is loaded.
    struct Description: Encodable {
        struct Setting: Encodable {
            var name: String
            var type: String
            var defaultValue: String?
            var meaning: String
        }
        var identifier: String
        var summary: String
        var verification: String
        var requesters: [String]
        var parameters: [Setting]
        var settings: [SettingDescription]
        var dataCapabilities: [String]
        var denialGrounds: [DenialGround]
    }

    func describe(_ identifier: String, registry: ModuleRegistry) throws {
        guard let module = registry.module(identifier) else {
            let hint = Spelling.closest(to: identifier, in: registry.identifiers).map { "did you mean '\($0)'? " } ?? ""
            throw CommandFailure(
                .notFound, "no right module '\(identifier)'; \(hint)known modules: \(registry.identifiers.joined(separator: ", "))")
        }
        let description = Description(
            identifier: module.identifier, summary: module.summary, verification: module.defaultVerification.rawValue,
            requesters: module.acceptedRequesters.map(\.rawValue).sorted(),
            parameters: module.parameters.map {
                Description.Setting(name: $0.name, type: $0.freeText ? "text" : "token", meaning: $0.meaning)
            },
            settings: module.settingKeys,
            dataCapabilities: module.dataCapabilities.map(\.rawValue).sorted(),
            denialGrounds: module.denialGrounds
        )
        if options.json { return try Output.json(description) }
        Output.line("\(description.identifier): \(description.summary)")
        Output.line("  verification by default: \(description.verification); filed by: \(description.requesters.joined(separator: ", "))")
        Output.line("  data capabilities: \(description.dataCapabilities.joined(separator: ", "))")
        if !description.parameters.isEmpty {
            Output.line("  request parameters:")
            for parameter in description.parameters { Output.line("    \(parameter.name) (\(parameter.type)): \(parameter.meaning)") }
        }
        Output.line("  settings (under rights.\(description.identifier) in the deployment file):")
        for setting in description.settings {
            Output.line("    \(setting.name): \(setting.type); default: \(setting.defaultValue ?? "none, required")")
            Output.line("      \(setting.meaning)")
        }
        if !description.denialGrounds.isEmpty {
            Output.line("  denial grounds an operator may cite besides the kernel's:")
            for ground in description.denialGrounds { Output.line("    \(ground.code): \(ground.explanation)") }
        }
    }
}
