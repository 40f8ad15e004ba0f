import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit status`: one request's state, deadline and outcome.
struct StatusCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a request's state, deadline and outcome.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String

    func run(registry: ModuleRegistry) async throws {
        let id = try requestID(id)
        let deployment = try await options.open(registry)
        guard let request = try await deployment.store.request(id) else {
            throw CommandFailure(.notFound, "no request \(id)")
        }
        try Output.show(request, json: options.json)
    }
}

/// `rightskit requests`: the ledger, filtered by state, right and due date.
struct RequestsCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests", abstract: "List requests, filtered by state, right or due date.")

    @OptionGroup var options: DeploymentOptions
    @Option(help: "Only requests in this state; repeat for several.") var state: [String] = []
    @Option(help: "Only requests of this right.") var right: String?
    @Option(name: .customLong("due-before"), help: "Only requests due before this date (yyyy-MM-dd or RFC 3339).") var dueBefore: String?

    func run(registry: ModuleRegistry) async throws {
        var states: Set<RequestState> = []
        for name in state {
            guard let parsed = RequestState(rawValue: name) else {
                throw ValidationError("--state must be one of \(RequestState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states.insert(parsed)
        }
        let deployment = try await options.open(registry)
        var due: Date?
        if let dueBefore {
            guard let parsed = Timestamp.date(dueBefore, localTo: deployment.pipeline.deployment.services.timeZone) else {
                throw ValidationError("--due-before expects yyyy-MM-dd (a local date) or an RFC 3339 time")
            }
            due = parsed
        }
        let requests = try await deployment.store.requests(RequestQuery(states: states, right: right, dueBefore: due))
        if options.json { return try Output.json(requests) }
        for request in requests {
            Output.line(
                "\(request.id)  \(request.right.padding(toLength: 22, withPad: " ", startingAt: 0)) \(request.state.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) due \(Timestamp.string(request.dueAt))"
            )
        }
        if requests.isEmpty { Output.line("no requests match") }
    }
}
