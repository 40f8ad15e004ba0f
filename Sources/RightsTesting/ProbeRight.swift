import Foundation
public import RightsKernel

/// A minimal right module for exercising the kernel pipeline in tests: it runs a configurable
/// number of journalled steps, withholds categories under hold, and can be told to deny.
///
/// Keys: `steps` (1 or more, default 2), `trace` (a file each step execution appends a line to,
/// so tests can count executions across processes), `outcome` (`complete` or `deny`).
///
/// Parameter `sleep=<seconds>`: step 1 takes that long (a long step). Parameter
/// `fail_while=<file>`: step 2 fails while that file exists (a step that keeps
/// failing until someone deals with the cause). The outcome's `verification` reference is the
/// level the kernel reports as reached.
///
/// For crash tests only: with `RIGHTSKIT_PROBE_PAUSE_AFTER_STEP=N` in the environment, the
/// module writes `RIGHTSKIT_PROBE_PAUSE_MARKER` after step N is journalled and then waits, so a
/// test can kill the process between two steps.
public struct ProbeRight: RightModule {
    public static let identifier = "probe"
    public static let summary = "Test double: journalled steps, hold narrowing, configurable outcome"
    public static let parameters = [
        RequestParameter("note", "a note up to 200 characters", freeText: true),
        RequestParameter("fail_while", "a file: the second step fails while it exists", freeText: true),
        RequestParameter("sleep", "seconds the first step takes"),
    ]
    public static let acceptedRequesters: Set<RequesterRole> = [.subject, .agent, .guardian, .closeRelative]

    enum Outcome: String, CaseIterable, SettingToken { case complete, deny }

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        var steps = 2
        var trace: String?
        var outcome = Outcome.complete

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey("steps", \.steps, in: 1...1_000, "journalled steps per request"),
                SettingKey("trace", \.trace, "a file each step execution appends a line to"),
                SettingKey("outcome", \.outcome, "complete or deny"),
            ]
        }
    }

    let steps: Int
    let trace: String?
    let outcome: Outcome

    public init(settings: Settings, services: Services) throws {
        steps = settings.steps
        trace = settings.trace
        outcome = settings.outcome
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        if let note = request.parameters["note"], note.count > 200 {
            throw IntakeError(field: "note", "expected at most 200 characters")
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        let environment = ProcessInfo.processInfo.environment
        for index in 1...steps {
            _ = try await context.step("probe.step\(index)") {
                if index == 2, let blocker = request.parameters["fail_while"], FileManager.default.fileExists(atPath: blocker) {
                    throw ProbeFailure()
                }
                if index == 1, let seconds = request.parameters["sleep"].flatMap(Double.init) {
                    try await Task.sleep(for: .seconds(seconds))
                }
                if let trace { try Self.append("step\(index) \(request.id)\n", to: trace) }
                return index
            }
            if environment["RIGHTSKIT_PROBE_PAUSE_AFTER_STEP"] == "\(index)", let marker = environment["RIGHTSKIT_PROBE_PAUSE_MARKER"] {
                try Self.append("paused\n", to: marker)
                try await Task.sleep(for: .seconds(600))
            }
        }
        if outcome == .deny {
            return .denied(.impractical, message: "The probe was configured to deny.")
        }
        return .done(
            "The probe ran \(steps) step(s).", withheld: context.withheldByHolds,
            references: [
                "steps": "\(steps)", "verification": context.verification.rawValue,
            ])
    }

    static func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}

/// The failure the probe raises on purpose.
struct ProbeFailure: Error, CustomStringConvertible {
    var description: String { "the probe's step 2 is blocked" }
}
