import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit outbox [list|deliver]`: messages queued by the outbox notifier, and their delivery.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Show or deliver messages queued for delivery.",
        subcommands: [List.self, Deliver.self], defaultSubcommand: List.self
    )

    struct List: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show queued and delivered messages (delivered ones keep kind, time and a recipient hash only).")
        @OptionGroup var options: DeploymentOptions
        @Option(help: "Only messages about this request.") var request: String?

        func run(registry: ModuleRegistry) async throws {
            let id = try request.map(requestID)
            let deployment = try await options.open(registry)
            let messages = try await deployment.store.outbox(request: id)
            if options.json { return try Output.json(messages) }
            for entry in messages {
                if entry.minimised {
                    Output.line(
                        "#\(entry.id) \(entry.message.kind) to \(entry.message.recipient.kind) \(entry.message.recipient.value.prefix(12))… (\(entry.deliveredAt == nil ? "no longer needed" : "delivered"); minimised)"
                    )
                    continue
                }
                Output.line(
                    "#\(entry.id) \(entry.message.kind) to \(entry.message.recipient.kind) \(entry.message.recipient.value): \(entry.message.title)"
                )
                Output.line("  " + entry.message.body.replacingOccurrences(of: "\n", with: "\n  "))
            }
            if messages.isEmpty { Output.line("the outbox is empty") }
        }
    }

    struct Deliver: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver queued messages through services.notifier.mail_drop, then minimise them.")
        @OptionGroup var options: DeploymentOptions

        func run(registry: ModuleRegistry) async throws {
            let deployment = try await options.open(registry)
            guard let folder = deployment.pipeline.deployment.settings.mailDrop else {
                throw CommandFailure(.refused, "no transport: set services.notifier.mail_drop in \(options.config)")
            }
            let count = try await deployment.store.deliverPending(via: MailDropDelivery(folder: folder))
            if options.json { return try Output.json(["delivered": count]) }
            Output.line("delivered \(count) message(s) to \(folder)")
        }
    }
}
