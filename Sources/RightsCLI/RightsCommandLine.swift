import ArgumentParser
import Foundation
import RightsKernel

/// The `rightskit` command line. A composition root calls ``main(registry:)`` with every module
/// it ships; the commands receive that registry instead of reaching for a global.
public enum RightsCommandLine {
    public static func main(registry: ModuleRegistry, arguments: [String]? = nil) async -> Never {
        do {
            var command = try RightsCommand.parseAsRoot(arguments)
            if let deploymentCommand = command as? any DeploymentCommand {
                try await deploymentCommand.run(registry: registry)
            } else if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            RightsCommand.exit()
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data((failure.message + "\n").utf8))
            RightsCommand.exit(withError: ExitCode(failure.status.rawValue))
        } catch let error as ValidationError {
            // Raised while running, after parsing: the message alone says what to fix.
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            RightsCommand.exit(withError: ExitCode.validationFailure)
        } catch {
            RightsCommand.exit(withError: error)
        }
    }
}

/// A command that needs the deployment's modules.
protocol DeploymentCommand: ParsableCommand {
    func run(registry: ModuleRegistry) async throws
}

extension DeploymentCommand {
    func run() throws {
        throw CommandFailure(.failure, "this command must be run through RightsCommandLine.main")
    }
}

/// The root command.
struct RightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rightskit",
        abstract: "Honour the rights people hold over their personal information.",
        subcommands: [
            CheckConfigCommand.self, ModulesCommand.self,
            SubmitCommand.self, VerifyCommand.self, ResendCommand.self, StatusCommand.self, RequestsCommand.self,
            ApproveCommand.self, DenyCommand.self, ExtendCommand.self, ReviewCommand.self, CancelCommand.self, RetryCommand.self,
            FeeCommand.self, SweepCommand.self, HoldCommand.self, OutboxCommand.self, AuditCommand.self, DataCommand.self, DemoCommand.self, BenchCommand.self,
        ]
    )
}
