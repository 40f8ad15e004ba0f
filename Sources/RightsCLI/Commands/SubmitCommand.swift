import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit submit`: files a request; the subject then receives a one-time code.
struct SubmitCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "File a request to exercise a right.")

    @OptionGroup var options: DeploymentOptions
    @Option(help: "The right's module identifier, such as access or erasure.") var right: String
    @Option(help: "The subject's identity as kind:value, such as email:li.wei@example.cn.") var subject: String
    @Option(
        help:
            "Who files it: \(RequesterRole.allCases.map(\.rawValue).joined(separator: ", ")) (operator for rights an organisation files, such as discontinuation-notice)."
    ) var requester: String = "subject"
    @Option(
        help:
            "The requester's own email or phone (kind:value) for updates and the outcome, when the requester is not the subject; the subject's code never goes there."
    ) var contact: String?
    @Option(help: "A reference to the requester's authority (agent id, proof document id).") var reference: String?
    @Option(name: .customLong("param"), help: "A module parameter as key=value; repeat for several.") var parameters: [String] = []

    func run(registry: ModuleRegistry) async throws {
        guard let role = RequesterRole(rawValue: requester) else {
            throw ValidationError("--requester must be one of \(RequesterRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var parsed: [String: String] = [:]
        for parameter in parameters {
            guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else {
                throw ValidationError("--param expects key=value, found '\(parameter)'")
            }
            parsed[String(parameter[..<equals])] = String(parameter[parameter.index(after: equals)...])
        }
        let intake = RequestIntake(
            right: right,
            subject: try identity(subject, option: "--subject"),
            requester: role,
            contact: try contact.map { try identity($0, option: "--contact") },
            requesterReference: reference,
            parameters: parsed
        )
        let deployment = try await options.open(registry)
        let request = try await mapped { try await deployment.pipeline.submit(intake) }
        try Output.show(request, json: options.json)
        if !options.json, request.state == .awaitingVerification {
            Output.line("A verification code was sent; confirm with: rightskit verify \(request.id) --code CODE")
        }
    }
}
