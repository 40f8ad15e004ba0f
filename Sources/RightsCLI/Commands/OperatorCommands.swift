import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit approve`: settles a fee or approves a reviewed request, then carries it out.
struct ApproveCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a request waiting for a fee or a review.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String
    @Option(name: .customLong("operator"), help: "Who approves.") var operatorName: String = "operator"

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in try await pipeline.approve(id, operator: operatorName) }
    }
}

/// `rightskit deny`: refuses a request, citing a ground.
struct DenyCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "deny", abstract: "Deny a request, citing a ground.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String
    @Option(
        help:
            "The ground: \(DenialGround.kernelGrounds.map(\.code).joined(separator: ", ")), or one of an enabled module's (`rightskit modules --describe ID` lists them)."
    ) var ground: String
    @Option(help: "A note for the requester.") var note: String?
    @Option(name: .customLong("operator"), help: "Who denies.") var operatorName: String = "operator"

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in
            guard let cited = pipeline.deployment.denialGround(ground) else {
                let known = pipeline.deployment.denialGrounds.map(\.code)
                let hint = Spelling.closest(to: ground, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                throw ValidationError("--ground must be one of \(known.joined(separator: ", ")); found '\(ground)'\(hint)")
            }
            return try await pipeline.deny(id, ground: cited, operator: operatorName, note: note)
        }
    }
}

/// `rightskit charge`: GDPR Art. 12(5), an operator's finding that a request under review is
/// manifestly unfounded or excessive: the deployment's fee is quoted, with the finding.
struct ChargeCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "charge", abstract: "Charge the deployment's fee for a request found manifestly unfounded or excessive.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String
    @Option(help: "The finding, sent to the requester (why the request is manifestly unfounded or excessive).") var finding: String
    @Option(name: .customLong("operator"), help: "Who decides.") var operatorName: String = "operator"

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in
            try await pipeline.chargeFee(id, operator: operatorName, finding: finding)
        }
    }
}

/// `rightskit extend`: extends a deadline once, with a reason.
struct ExtendCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "extend", abstract: "Extend a request's deadline once, with a reason.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String
    @Option(help: "Why more time is needed; sent to the requester.") var reason: String
    @Option(name: .customLong("operator"), help: "Who extends.") var operatorName: String = "operator"

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in try await pipeline.extend(id, reason: reason, operator: operatorName) }
    }
}

/// `rightskit review`: routes a request to manual review before it is carried out.
struct ReviewCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "review", abstract: "Route a request to manual review.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String
    @Option(name: .customLong("operator"), help: "Who routes it.") var operatorName: String = "operator"

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in try await pipeline.requestReview(id, operator: operatorName) }
    }
}

/// `rightskit cancel`: withdraws a request that has not started.
struct CancelCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a request that has not started.")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in try await pipeline.cancel(id, actor: .requester) }
    }
}

/// `rightskit retry`: works a request again after its failures made it wait for attention.
struct RetryCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Retry a request whose work failed too often (state needsAttention).")

    @OptionGroup var options: DeploymentOptions
    @Argument(help: "The request id.") var id: String
    @Option(name: .customLong("operator"), help: "Who retries.") var operatorName: String = "operator"

    func run(registry: ModuleRegistry) async throws {
        try await options.act(on: id, registry) { pipeline, id in try await pipeline.retry(id, operator: operatorName) }
    }
}

/// `rightskit sweep` (also `resume`): the background work, run on a schedule: finishes requests a
/// stopped process left unfinished, continues waiting ones whose date has come, cancels lapsed
/// fee quotes, erases rows whose retention restriction lifted, and removes response files past
/// their retention. A request that fails does not stop the others.
struct SweepCommand: DeploymentCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Do what is due: finish interrupted requests, continue waiting ones, cancel lapsed fees, erase lifted restrictions.",
        discussion:
            "Every due request is tried; each failure is reported and the command exits 8 if any failed. Run it on a schedule (cron, a systemd timer); `resume` is the same command.",
        aliases: ["resume"]
    )

    @OptionGroup var options: DeploymentOptions

    struct Report: Encodable {
        struct Failure: Encodable {
            var id: String
            var message: String
        }

        var resumed: [RightRequest]
        var failed: [Failure]
        var responsesRemoved: Int
        /// Rows erased per table because their restriction lifted.
        var restrictionsLifted: [String: Int]
    }

    func run(registry: ModuleRegistry) async throws {
        let deployment = try await options.open(registry)
        let report = try await deployment.pipeline.resumeInterrupted()
        if options.json {
            try Output.json(
                Report(
                    resumed: report.finished, failed: report.failures.map { Report.Failure(id: $0.request.rawValue, message: $0.message) },
                    responsesRemoved: report.responsesRemoved, restrictionsLifted: report.restrictionsLifted))
        } else {
            Output.line("resumed \(report.finished.count) request(s)")
            for request in report.finished { Output.line("\(request.id)  \(request.state.rawValue)") }
            for failure in report.failures { Output.line("\(failure.request)  failed: \(failure.message)") }
            for (table, rows) in report.restrictionsLifted.sorted(by: { $0.key < $1.key }) {
                Output.line("erased \(rows) row(s) of \(table) whose restriction lifted")
            }
            if report.responsesRemoved > 0 {
                Output.line("removed the files of \(report.responsesRemoved) response(s) past their retention")
            }
        }
        if !report.failures.isEmpty {
            throw CommandFailure(.workFailed, "\(report.failures.count) request(s) failed; see above")
        }
    }
}
