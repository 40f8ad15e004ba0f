import Foundation
import GRDB
import RightsStore
import RightsTesting
import Testing

/// What the product leaves on disk, looked at as another local user would: file modes under the
/// usual umask, and the bytes of the ledger and vault once requests are final.
@Suite("Secrets at rest: private files, minimised ledger and outbox, shredded keys")
struct SecretsAtRestTests {
    func file(_ cli: CommandLineRunner, _ arguments: [String]) async throws -> (id: String, code: String?) {
        let submitted = try await cli.run(["submit"] + arguments + ["--json"])
        #expect(submitted.status == 0, "\(arguments): \(submitted.errors)")
        let id = try #require((try cli.json(submitted) as? [String: Any])?["id"] as? String)
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        let body = try #require((outbox.first?["message"] as? [String: Any])?["body"] as? String)
        let code = RightsTestHarness.code(in: body)
        let verified = try await cli.run("verify", id, "--code", try #require(code))
        #expect(verified.status == 0, "\(arguments): \(verified.errors)")
        return (id, code)
    }

    @Test func underUmask022NothingIsReadableByOthersAndFinalRequestsLeaveNoPersonalDataInTheLedger() async throws {
        let config = try CommandLineRunner.repositoryConfig
            .replacingOccurrences(of: "  notifier: { driver: outbox }", with: "  notifier: { driver: outbox, mail_drop: data/mail-drop }")
        var cli = try CommandLineRunner(config: config, executable: "rightskit")
        cli.umask = "022"
        #expect(try await cli.run("demo", "seed", "--subjects", "20").status == 0)
        let vaultPath = cli.directory.file("data/vault.sqlite")
        let vaultBefore = try DatabaseQueue(path: vaultPath)
        let storedKey = try await vaultBefore.read { db in
            try Data.fetchOne(db, sql: "SELECT key FROM subject_keys WHERE subject = 'accounts:9'")
        }
        try vaultBefore.close()
        let shreddedKey = try #require(storedKey)

        var codes: [String] = []
        let access = try await file(cli, ["--right", "access", "--subject", "email:user7@example.cn"])
        codes += access.code.map { [$0] } ?? []
        let copy = try await file(cli, ["--right", "portability", "--subject", "email:user8@example.cn", "--param", "mode=copy"])
        codes += copy.code.map { [$0] } ?? []
        #expect(try await cli.run("approve", copy.id).status == 0)
        let erasure = try await file(
            cli, ["--right", "erasure", "--subject", "phone:\(SampleBusinessDatabase.phone(9))", "--param", "ground=consent-withdrawn"])
        codes += erasure.code.map { [$0] } ?? []
        #expect(try await cli.run("audit", "checkpoint").status == 0)
        let delivered = try await cli.run("outbox", "deliver")
        #expect(delivered.status == 0, "\(delivered.errors)")
        #expect(codes.count == 3)

        // Every file and folder the product wrote: none readable, writable or searchable by others.
        let data = URL(fileURLWithPath: cli.directory.file("data"))
        var written: [(String, Int)] = [(data.path, try mode(data.path))]
        let walker = try #require(FileManager.default.enumerator(atPath: data.path))
        while let relative = walker.nextObject() as? String {
            let path = data.appendingPathComponent(relative).path
            written.append((relative, try mode(path)))
        }
        #expect(written.count > 10, "\(written)")
        let exposed = written.filter { $0.1 & 0o077 != 0 }.map { "\($0.0) \(String($0.1, radix: 8))" }
        #expect(exposed.isEmpty, "readable by others: \(exposed)")
        // The copy's staging folder is gone; the zip stays until its retention ends.
        let copyFolder = data.appendingPathComponent("exports/\(copy.id)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: copyFolder.path) == ["personal-information.zip"])

        // The ledger's files hold no email, phone or code of a finished request.
        let ledgerFiles = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.hasPrefix("rightskit.sqlite") }
        #expect(ledgerFiles.contains("rightskit.sqlite"))
        let secrets =
            [7, 8, 9].flatMap {
                [
                    SampleBusinessDatabase.email($0), SampleBusinessDatabase.phone($0),
                    SampleBusinessDatabase.phone($0).dropFirst().description,
                ]
            } + codes
        for name in ledgerFiles {
            let bytes = try Data(contentsOf: data.appendingPathComponent(name))
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) still holds a subject's email, phone or code")
            }
        }
        // The outbox, read back: delivered rows keep kind, time and a recipient hash only.
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--json")) as? [[String: Any]])
        #expect(!outbox.isEmpty && outbox.allSatisfy { $0["minimised"] as? Bool == true })

        // The erased subject's key is not in the vault's bytes.
        let vaultBytes = try Data(contentsOf: URL(fileURLWithPath: vaultPath))
        #expect(vaultBytes.range(of: shreddedKey) == nil, "a destroyed key survives in the vault file")
        let remaining = try await DatabaseQueue(path: vaultPath).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subject_keys")
        }
        #expect(remaining == 19)
    }

    func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
    }
}

@Suite("Delivering the outbox from several processes at once")
struct OutboxDeliveryTests {
    @Test func threeDeliverersSendEachMessageOnce() async throws {
        let config = try CommandLineRunner.repositoryConfig
            .replacingOccurrences(of: "  notifier: { driver: outbox }", with: "  notifier: { driver: outbox, mail_drop: data/mail-drop }")
        let cli = try CommandLineRunner(config: config, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "40").status == 0)
        for subject in 1...30 {
            #expect(try await cli.run("submit", "--right", "access", "--subject", "email:user\(subject)@example.cn").status == 0)
        }
        let results = try await ConcurrentProcessTests.together(cli, Array(repeating: ["outbox", "deliver", "--json"], count: 3))
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.errors))")
        let counts = results.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.output.utf8)) as? [String: Any])?["delivered"] as? Int
        }
        #expect(counts.reduce(0, +) == 30, "each of the 30 codes delivered by exactly one process: \(counts)")
        let dropped = try FileManager.default.contentsOfDirectory(atPath: cli.directory.file("data/mail-drop"))
        #expect(dropped.count == 30)
        let again = try await cli.run("outbox", "deliver", "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(again.output.utf8)) as? [String: Any])?["delivered"] as? Int == 0)
    }
}
