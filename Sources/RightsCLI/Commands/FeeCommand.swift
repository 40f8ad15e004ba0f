import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit fee accept|decline ID`: the requester's answer to a quoted fee (clause 5.10).
struct FeeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fee", abstract: "Accept or decline a quoted fee.", subcommands: [Accept.self, Decline.self])

    struct Accept: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept the fee: the request continues (through review where the right requires it).")
        @OptionGroup var options: DeploymentOptions
        @Argument(help: "The request id.") var id: String

        func run(registry: ModuleRegistry) async throws {
            try await options.act(on: id, registry) { pipeline, id in try await pipeline.acceptFee(id, actor: .requester) }
        }
    }

    struct Decline: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Decline the fee: the request is cancelled.")
        @OptionGroup var options: DeploymentOptions
        @Argument(help: "The request id.") var id: String

        func run(registry: ModuleRegistry) async throws {
            try await options.act(on: id, registry) { pipeline, id in try await pipeline.declineFee(id, actor: .requester) }
        }
    }
}
