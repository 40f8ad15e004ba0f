import ArgumentParser
import Foundation
public import RightsKernel

/// The `rightskit` command line. A composition root calls ``main(registry:)`` with every module
/// it ships; the commands receive that registry instead of reaching for a global.
public enum RightsCommandLine {
    public static func main(registry: ModuleRegistry, arguments: [String]? = nil) async -> Never {
        let json = (arguments ?? Array(CommandLine.arguments.dropFirst())).contains("--json")
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
            fail(failure.status, failure.message, json: json, text: failure.message)
        } catch let error as ValidationError {
            // Raised while running, after parsing: the message alone says what to fix.
            fail(.badInput, error.message, json: json, text: "Error: \(error.message)")
        } catch {
            let code = RightsCommand.exitCode(for: error)
            guard json, code != .success else { RightsCommand.exit(withError: error) }
            // A parse error (unknown option, missing argument) is bad input; anything else is
            // unexpected. Either is said in JSON.
            let status: ExitStatus = code == .validationFailure ? .badInput : .failure
            fail(status, status == .badInput ? RightsCommand.message(for: error) : "unexpected failure: \(error)", json: true, text: "")
        }
    }

    /// Reports a failure on stderr, as one JSON object under `--json`, and exits with `status`.
    static func fail(_ status: ExitStatus, _ message: String, json: Bool, text: String) -> Never {
        if json {
            struct Body: Encodable {
                var code: String
                var exit: Int32
                var message: String
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(["error": Body(code: status.name, exit: status.rawValue, message: message)])) ?? Data()
            FileHandle.standardError.write(data + Data("\n".utf8))
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
        RightsCommand.exit(withError: ExitCode(status.rawValue))
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
        discussion: ExitStatus.summary,
        subcommands: [
            CheckConfigCommand.self, ModulesCommand.self,
            SubmitCommand.self, VerifyCommand.self, ResendCommand.self, StatusCommand.self, RequestsCommand.self,
            ApproveCommand.self, DenyCommand.self, ChargeCommand.self, ExtendCommand.self, ReviewCommand.self, CancelCommand.self,
            RetryCommand.self,
            FeeCommand.self, SweepCommand.self, HoldCommand.self, OutboxCommand.self, AuditCommand.self, DataCommand.self, DemoCommand.self,
            BenchCommand.self,
            ServeCommand.self, TokenCommand.self, StoreCommand.self, DataMapCommand.self,
        ]
    )
}
