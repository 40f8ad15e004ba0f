import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit token create|list|revoke`: bearer tokens for the admin API, kept hashed.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke the bearer tokens of /v1/admin.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; it is printed once and the ledger keeps only its hash.",
            discussion:
                "Roles: operator (works the queue), reviewer (reads, approves, denies, routes to review), auditor (reads the audit and requests without personal data)."
        )
        @OptionGroup var options: DeploymentOptions
        @Option(help: "operator, reviewer or auditor.") var role: String
        @Option(help: "Who holds it (letters, digits, . _ - @); at most one live token per name.") var name: String

        func run(registry: ModuleRegistry) async throws {
            // An agent's token is made by pairing over DRP, never by hand; a controller's is made
            // here, named by its id in standards.opendsr.controllers.
            let roles = OperatorRole.allCases.filter { $0 != .agent }
            guard let role = OperatorRole(rawValue: role), roles.contains(role) else {
                throw ValidationError("--role must be one of \(roles.map(\.rawValue).joined(separator: ", "))")
            }
            let deployment = try await options.open(registry)
            let created: (token: OperatorToken, secret: String)
            do {
                created = try await deployment.store.createToken(name: name, role: role)
            } catch let error as OperatorTokenError {
                throw CommandFailure(.badInput, error.description)
            }
            if options.json {
                struct Created: Encodable {
                    var name: String
                    var role: String
                    var token: String
                }
                return try Output.json(Created(name: created.token.name, role: role.rawValue, token: created.secret))
            }
            Output.line(created.secret)
            FileHandle.standardError.write(
                Data("token for \(name) (\(role.rawValue)); it is not shown again. Send it as Authorization: Bearer <token>.\n".utf8))
        }
    }

    struct List: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names and roles; never the secrets).")
        @OptionGroup var options: DeploymentOptions

        func run(registry: ModuleRegistry) async throws {
            let tokens = try await options.open(registry).store.tokens()
            if options.json { return try Output.json(tokens) }
            for token in tokens {
                Output.line(
                    "\(token.name)  \(token.role.rawValue)  created \(Timestamp.string(token.createdAt))"
                        + (token.revokedAt.map { "  revoked \(Timestamp.string($0))" } ?? ""))
            }
            if tokens.isEmpty { Output.line("no tokens") }
        }
    }

    struct Revoke: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke the live token of a name; it stops working at once.")
        @OptionGroup var options: DeploymentOptions
        @Argument(help: "The token's name.") var name: String

        func run(registry: ModuleRegistry) async throws {
            guard try await options.open(registry).store.revokeToken(name: name) else {
                throw CommandFailure(.notFound, "no live token named \(name)")
            }
            if options.json { return try Output.json(["revoked": name]) }
            Output.line("revoked the token of \(name)")
        }
    }
}
