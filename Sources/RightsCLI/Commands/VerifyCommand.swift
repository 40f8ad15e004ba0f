import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit verify`: checks the one-time code and carries the request out.
struct VerifyCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Confirm a request with its one-time code; the request then proceeds.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String
    @Option(help: "The code the subject received.") var code: String

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in try await pipeline.verify(id, code: code) }
    }
}

/// `rightskit resend`: a fresh code for a request still awaiting verification.
struct ResendCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "resend", abstract: "Send a new verification code; the old one stops working.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String

    func run(registry: ModuleRegistry) async throws {
        let id = try requestID(id)
        let deployment = try await options.open(registry)
        try await mapped { try await deployment.pipeline.resendChallenge(id) }
        if options.json { return try Output.json(["resent": id.rawValue]) }
        Output.line("a new code was sent for request \(id)")
    }
}
