import ArgumentParser
import Foundation
import Logging
import RightsKernel
import RightsServer
import RightsStore

/// `rightskit serve`: the HTTP service for subjects and operators, with its background work.
struct ServeCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (/v1 for subjects, /v1/admin for operators) and run the background work.",
        discussion: """
            Settings come from the deployment's `server:` section; --host and --port override it. The API document is served at /openapi.yaml, health at /healthz, Prometheus metrics at /metrics. SIGTERM or SIGINT stops accepting, lets requests in flight finish within server.shutdown_grace_seconds, and exits; a request cut off is finished by the next start's sweep. A missing organisation database is refused (an unmounted volume must not have RightsKit answer from invented people); --demo writes the sample database in its place, as `demo run` does.
            """
    )

    @OptionGroup var options: DeploymentOptions
    @Option(help: "The address to listen on (default: server.host, else 127.0.0.1).") var host: String?
    @Option(help: "The port (default: server.port, else 8080; 0 picks a free one).") var port: Int?
    @Flag(help: "Write the sample database (1,000 invented subjects) when the data map's first source is missing.") var demo = false

    func run(registry: ModuleRegistry) async throws {
        if demo, let seeded = try options.seedSampleIfMissing(), !options.json {
            Output.line("seeded the sample database with 1000 subjects: \(seeded)")
        }
        var settings = try options.loading { try ServerSettings.load(path: options.config) }
        if let host { settings.host = host }
        if let port {
            guard (0...65_535).contains(port) else { throw ValidationError("--port expects 0 to 65535") }
            settings.port = port
        }
        let deployment = try await options.open(registry)
        try options.loading {
            let problems = settings.standards.problems(enabledRights: Set(deployment.pipeline.deployment.rights.keys))
            if !problems.isEmpty { throw ConfigErrors(problems) }
        }
        let server = RightsServer(
            pipeline: deployment.pipeline, store: deployment.store, settings: settings, logger: Logger(label: "rightskit.server"))
        let json = options.json
        let host = settings.host
        do {
            try await server.run { port in
                if json {
                    Output.line(#"{"listening":"http://\#(host):\#(port)","port":\#(port)}"#)
                } else {
                    Output.line("listening on http://\(host):\(port) (API document at /openapi.yaml; SIGTERM stops gracefully)")
                }
            }
        } catch {
            // The usual reasons a server cannot start, said plainly.
            let text = String(describing: error)
            if text.contains("Address already in use") {
                throw CommandFailure(
                    .failure,
                    "cannot listen on \(host):\(settings.port): the address is in use (another server on that port? --port 0 picks a free one)"
                )
            }
            if text.contains("UnknownHost") {
                throw CommandFailure(.badInput, "cannot listen on \(host): no such host or address (server.host, --host)")
            }
            throw error
        }
    }
}
