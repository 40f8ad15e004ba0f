import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit demo run`: one access request end to end on the sample database, as a new user's
/// first look: seeds the database the deployment maps if it is missing, files the request, reads
/// the code from the outbox, verifies, and shows the outcome and the audit check.
struct DemoRunCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run one access request end to end on the sample database.")

    @OptionGroup var options: DeploymentOptions
    @Option(help: "Which sample subject files the request.") var subject: Int = 1
    @Option(help: "The right to exercise (one that needs no extra parameters).") var right: String = "access"

    func run(registry: ModuleRegistry) async throws {
        if let seeded = try options.seedSampleIfMissing(), !options.json {
            Output.line("seeded the sample database with 1000 subjects: \(seeded)")
        }
        let deployment = try await options.open(registry)
        let identity = SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject))
        let submitted = try await mapped { try await deployment.pipeline.submit(RequestIntake(right: right, subject: identity)) }
        if !options.json {
            Output.line("1. \(identity.value) filed a request (\(right)): \(submitted.id) (due \(Timestamp.string(submitted.dueAt)))")
        }
        var request = submitted
        if submitted.state == .awaitingVerification {
            let message = try await deployment.store.outbox(request: submitted.id).last { $0.message.kind == "verification-code" }
            guard let code = message.flatMap({ OneTimeCodeVerifier.code(in: $0.message.body) }) else {
                throw CommandFailure(.failure, "no verification code in the outbox")
            }
            if !options.json { Output.line("2. the code \(code) arrived in the outbox (rightskit outbox --request \(submitted.id))") }
            request = try await mapped { try await deployment.pipeline.verify(submitted.id, code: code) }
            if !options.json { Output.line("3. verified; the request was carried out:") }
        }
        let audit = try await deployment.store.verify()
        if options.json {
            struct Demo: Encodable {
                var request: RightRequest
                var auditIntact: Bool
            }
            return try Output.json(Demo(request: request, auditIntact: audit.isIntact))
        }
        Output.line(Output.describe(request))
        Output.line("4. \(audit.description)")
    }
}
