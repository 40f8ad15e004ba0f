import Foundation
import ArgumentParser
import RightsKernel
import RightsStore

/// `rightskit outbox`: messages queued by the outbox notifier.
struct OutboxCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "outbox", abstract: "Show messages queued for delivery.")

    @OptionGroup var options: DeploymentOptions
    @Option(help: "Only messages about this request.") var request: String?

    func run(registry: ModuleRegistry) async throws {
        let id = try request.map(requestID)
        let deployment = try options.open(registry)
        let messages = try await deployment.store.outbox(request: id)
        if options.json { return try Output.json(messages) }
        for entry in messages {
            Output.line("#\(entry.id) \(entry.message.kind) to \(entry.message.recipient.kind) \(entry.message.recipient.value): \(entry.message.title)")
            Output.line("  " + entry.message.body.replacingOccurrences(of: "\n", with: "\n  "))
        }
        if messages.isEmpty { Output.line("the outbox is empty") }
    }
}
