import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit hold add|list|remove`: legal holds of clause 5.11.
struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Manage legal holds on subjects or data categories.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Place a hold; requests it meets are denied or narrowed, citing its ground.")

        @OptionGroup var options: DeploymentOptions
        @Option(help: "The subject held, as kind:value (stored as a salted hash).") var subject: String?
        @Option(help: "The data category withheld, such as user.financial.") var category: String?
        @Option(help: "The ground: \(DenialGround.exceptionGrounds.map(\.code).joined(separator: ", ")).") var ground: String
        @Option(help: "Who imposed it: a case number or order reference.") var authority: String
        @Option(help: "When it lapses (yyyy-MM-dd or RFC 3339); omit for until lifted.") var expires: String?

        func validate() throws {
            guard subject != nil || category != nil else { throw ValidationError("give --subject, --category or both") }
            if let category, !DataCategory.isValid(category) {
                throw ValidationError("--category expects a dotted lowercase name such as user.financial")
            }
            guard DenialGround.exceptionGrounds.contains(where: { $0.code == ground }) else {
                throw ValidationError("--ground must be one of \(DenialGround.exceptionGrounds.map(\.code).joined(separator: ", "))")
            }
            if let expires, Timestamp.date(expires) == nil { throw ValidationError("--expires expects yyyy-MM-dd or an RFC 3339 time") }
        }

        func run(registry: ModuleRegistry) async throws {
            let deployment = try await options.open(registry)
            let services = deployment.pipeline.deployment.services
            let hold = try await services.exceptions.addHold(
                Hold(
                    subject: try subject.map { services.ledger.subjectKey(for: try identity($0, option: "--subject")) },
                    category: category.map { DataCategory($0) },
                    ground: DenialGround.kernel(ground) ?? .otherLaw,
                    authority: authority,
                    expiresAt: expires.flatMap { Timestamp.date($0, localTo: services.timeZone) },
                    createdAt: services.clock.now
                ))
            if options.json { return try Output.json(hold) }
            Output.line("hold \(hold.id ?? 0) placed: \(hold.ground.code) (\(hold.authority))")
        }
    }

    struct List: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "List holds, active and lapsed.")
        @OptionGroup var options: DeploymentOptions

        func run(registry: ModuleRegistry) async throws {
            let deployment = try await options.open(registry)
            let services = deployment.pipeline.deployment.services
            let holds = try await services.exceptions.holds()
            if options.json { return try Output.json(holds) }
            let now = services.clock.now
            for hold in holds {
                let scope = [hold.subject.map { "subject \($0.rawValue.prefix(12))" }, hold.category.map { "category \($0.name)" }]
                    .compactMap { $0 }.joined(separator: ", ")
                let status = hold.isActive(at: now) ? "active" : "lapsed"
                Output.line(
                    "\(hold.id ?? 0)  \(status)  \(hold.ground.code)  \(scope)  authority: \(hold.authority)  expires: \(hold.expiresAt.map(Timestamp.string) ?? "when lifted")"
                )
            }
            if holds.isEmpty { Output.line("no holds") }
        }
    }

    struct Remove: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a hold now; its history stays.")
        @OptionGroup var options: DeploymentOptions
        @Argument(help: "The hold id.") var id: Int64

        func run(registry: ModuleRegistry) async throws {
            let deployment = try await options.open(registry)
            let services = deployment.pipeline.deployment.services
            guard try await services.exceptions.removeHold(id: id, at: services.clock.now) else {
                throw CommandFailure(.notFound, "no active hold \(id)")
            }
            if options.json { return try Output.json(["lifted": id]) }
            Output.line("hold \(id) lifted")
        }
    }
}
