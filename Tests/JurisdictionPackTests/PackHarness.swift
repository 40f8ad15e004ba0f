import AccessRight
import AccountCancellationRight
import ConsentWithdrawalRight
import CorrectionRight
import DiscontinuationNoticeRight
import ErasureRight
import ExplanationRight
import Foundation
import PortabilityRight
import PostMortemRight
import RightsKernel
import RightsStore
import RightsTesting

/// A pack of `Examples/` loaded as the shipped `rightskit` loads it, on a sample business
/// database, with the clock set to a local time of the pack's timezone.
struct Pack {
    static let modules: [any RightModule.Type] = [
        AccessRight.self, CorrectionRight.self, ErasureRight.self, ConsentWithdrawalRight.self, AccountCancellationRight.self,
        PortabilityRight.self, DiscontinuationNoticeRight.self, ExplanationRight.self, PostMortemRight.self,
    ]

    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples")
    }

    let harness: RightsTestHarness
    let clock: SettableClock
    let timeZone: TimeZone

    /// `file` from Examples/ (with the shared data map beside it) at the local time `start`.
    init(_ file: String, at start: String) throws {
        let directory = try TemporaryDirectory(prefix: "rightskit-pack")
        let examples = directory.file("Examples")
        try FileManager.default.createDirectory(atPath: examples, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.file("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Self.examples.appendingPathComponent("sample-datamap.yaml").path, toPath: examples + "/sample-datamap.yaml")
        try SampleBusinessDatabase(subjects: 30).write(
            to: directory.file("data/sample-business.sqlite"), vaultPath: directory.file("data/vault.sqlite"))
        // The harness writes the deployment at the folder's root; the pack's paths are relative
        // to Examples/.
        let yaml = try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8)
            .replacingOccurrences(of: "../data/", with: "data/")
            .replacingOccurrences(of: "data_map: sample-datamap.yaml", with: "data_map: Examples/sample-datamap.yaml")
        let settings = try DeploymentSettings.load(yaml: yaml, file: file, baseDirectory: directory.path)
        timeZone = settings.policy.deadline.timeZone
        clock = SettableClock(try Self.local(start, timeZone))
        harness = try RightsTestHarness(yaml: yaml, modules: Self.modules, directory: directory, clock: clock)
    }

    static func local(_ text: String, _ zone: TimeZone) throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        guard let date = formatter.date(from: text) else { throw PackError.badDate(text) }
        return date
    }

    func day(_ date: Date) -> String { Timestamp.day(date, in: timeZone) }

    func intake(_ right: String, subject: Int, _ parameters: [String: String] = [:]) -> RequestIntake {
        RequestIntake(
            right: right, subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)), parameters: parameters)
    }

    /// Files, verifies with the code from the outbox and approves a review the right requires.
    func runToEnd(_ intake: RequestIntake) async throws -> RightRequest {
        var request = try await harness.run(intake)
        if request.state == .awaitingReview { request = try await harness.pipeline.approve(request.id, operator: "desk") }
        return request
    }

    func actions(_ request: RightRequest) async throws -> [AuditEntry] {
        try await harness.store.entries(for: request.id)
    }
}

enum PackError: Error { case badDate(String) }
