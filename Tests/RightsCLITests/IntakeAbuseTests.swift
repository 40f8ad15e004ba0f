import Foundation
import RightsStore
import RightsTesting
import Testing

/// Guessing, flooding, decoys and junk at intake, through the shipped CLI on the sample
/// deployment.
@Suite("Intake that nobody can flood, guess through or poison")
struct IntakeAbuseTests {
    /// The repository's deployment with other intake limits and repetition policy.
    static func config(intake: String? = nil, repeatPolicy: String? = nil) throws -> String {
        var config = try CommandLineRunner.repositoryConfig
        if let intake {
            let line = "  intake: { window_minutes: 60, filings: 20, resends: 5, resend_cooldown_seconds: 60 }"
            #expect(config.contains(line), "the repository's config.yaml sets the intake limits on one line")
            config = config.replacingOccurrences(of: line, with: "  intake: \(intake)")
        }
        if let repeatPolicy {
            config = config.replacingOccurrences(
                of: "  repeat: { window_days: 365, free: 4, beyond: fee, fee: { amount: 30, currency: CNY } }",
                with: "  repeat: \(repeatPolicy)")
        }
        return config
    }

    func seeded(_ config: String) async throws -> CommandLineRunner {
        let cli = try CommandLineRunner(config: config, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        return cli
    }

    func submit(_ cli: CommandLineRunner, _ arguments: String...) async throws -> (CommandLineRunner.Result, String?) {
        let result = try await cli.run(["submit"] + arguments + ["--json"])
        let id = (try? cli.json(result) as? [String: Any])?["id"] as? String
        return (result, id)
    }

    func code(_ cli: CommandLineRunner, _ id: String) async throws -> String {
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        let codes = outbox.compactMap { $0["message"] as? [String: Any] }.filter { $0["kind"] as? String == "verification-code" }
        let body = try #require(codes.last?["body"] as? String)
        return try #require(RightsTestHarness.code(in: body))
    }

    @Test func fiftyGuessesAcrossResendsCheckAtMostMaxAttempts() async throws {
        let cli = try await seeded(try Self.config(intake: "{ resends: 100, resend_cooldown_seconds: 0 }"))
        let (first, filed) = try await submit(cli, "--right", "access", "--subject", "email:user1@example.cn")
        #expect(first.status == 0, "\(first.errors)")
        let id = try #require(filed)
        let real = try await code(cli, id)
        let wrong = real == "00000000" ? "11111111" : "00000000"
        var checked = 0
        var latest = real
        for _ in 0..<25 {
            for _ in 0..<2 {
                let guess = try await cli.run("verify", id, "--code", wrong)
                if guess.errors.contains("wrong code") || guess.errors.contains("too many wrong codes") { checked += 1 }
                #expect(guess.status != 0)
            }
            if try await cli.run("resend", id).status == 0 { latest = try await code(cli, id) }
        }
        #expect(checked == 3, "max_attempts is 3 for the whole request, resends included")
        let status = try #require(try cli.json(try await cli.run("status", id, "--json")) as? [String: Any])
        #expect(status["state"] as? String == "denied")
        let late = try await cli.run("verify", id, "--code", latest)
        #expect(late.status != 0, "the real code no longer verifies a locked request")
        // A malformed answer spends nothing.
        let (_, other) = try await submit(cli, "--right", "access", "--subject", "email:user2@example.cn")
        let otherID = try #require(other)
        for junk in ["12ab5678", "123456789", "", "1234 5678"] {
            let answer = try await cli.run("verify", otherID, "--code", junk)
            #expect(answer.status == 64 && answer.errors.contains("nothing was counted"), "\(junk): \(answer.errors)")
        }
        #expect(try await cli.run("verify", otherID, "--code", try await code(cli, otherID)).status == 0)
    }

    @Test func the21stConfirmedFilingInAWindowAndAnEarlyResendAreRefusedWithARetryTime() async throws {
        let cli = try await seeded(try Self.config())
        // The person's email and user id are one person: their confirmed filings share one quota.
        for index in 0..<20 {
            let subject = index.isMultiple(of: 2) ? "email:user3@example.cn" : "user_id:u0000003"
            let (result, filed) = try await submit(cli, "--right", "explanation", "--subject", subject)
            #expect(result.status == 0, "\(result.errors)")
            let id = try #require(filed)
            #expect(try await cli.run("verify", id, "--code", try await code(cli, id)).status == 0)
        }
        let (refused, _) = try await submit(cli, "--right", "access", "--subject", "phone:+8613000000003")
        #expect(refused.status == 9)
        #expect(refused.errors.contains("too many requests filed for this person in a short time; try again after 20"), "\(refused.errors)")
        #expect(refused.errors.contains("(Asia/Shanghai)"), "the time to retry is told in the deployment's local time: \(refused.errors)")
        #expect(try #require(try cli.json(try await cli.run("requests", "--json")) as? [Any]).count == 20)
        // Another subject is not affected.
        let (other, otherID) = try await submit(cli, "--right", "access", "--subject", "email:user4@example.cn")
        #expect(other.status == 0)
        // A new code within the cooldown (60 s by default) is refused with when to ask again.
        let resend = try await cli.run("resend", try #require(otherID))
        #expect(resend.status == 9 && resend.errors.contains("too many codes sent"), "\(resend.errors)")
    }

    @Test func unverifiedDecoysLeaveTheSubjectsAllowanceUntouched() async throws {
        let cli = try await seeded(try Self.config(repeatPolicy: "{ window_days: 365, free: 2, beyond: refuse }"))
        for _ in 0..<4 {
            let (decoy, _) = try await submit(
                cli, "--right", "erasure", "--subject", "email:user5@example.cn", "--param", "ground=consent-withdrawn")
            #expect(decoy.status == 0)
        }
        let (_, filed) = try await submit(
            cli, "--right", "erasure", "--subject", "email:user5@example.cn", "--param", "ground=consent-withdrawn")
        let id = try #require(filed)
        let verified = try await cli.run("verify", id, "--code", try await code(cli, id), "--json")
        #expect(verified.status == 0, "\(verified.errors)")
        let done = try #require(try cli.json(verified) as? [String: Any])
        #expect(done["state"] as? String == "completed" || done["state"] as? String == "partiallyCompleted", "\(done)")
    }

    @Test func eachClassOfJunkIsRefusedWithAClearErrorAndNothingRecorded() async throws {
        let cli = try await seeded(try Self.config())
        let cases: [(arguments: [String], error: String)] = [
            (
                ["--right", "access", "--subject", "passport:E1234567"],
                "subject: unknown identity kind; 'access' requests name the subject by email, phone, user_id"
            ),
            (
                ["--right", "access", "--subject", "email:user1\u{07}@example.cn"],
                "subject: contains a control, line-break or bidirectional character (U+7)"
            ),
            (
                ["--right", "access", "--subject", "email:user1@example.cn\u{202E}nc.elpmaxe"],
                "subject: contains a control, line-break or bidirectional character (U+202E)"
            ),
            (
                ["--right", "access", "--subject", "email:user1@example.cn\nBcc: everyone@example.cn"],
                "subject: contains a control, line-break or bidirectional character (U+A)"
            ),
            (["--right", "access", "--subject", "email:not-an-email"], "subject: expected an email address"),
            (["--right", "access", "--subject", "phone:12345"], "subject: expected a phone number in international form (E.164)"),
            (
                [
                    "--right", "correction", "--subject", "email:user1@example.cn", "--param", "field=user.contact.address", "--param",
                    "value=" + String(repeating: "x", count: 120_000),
                ], "value: expected at most 2000 characters"
            ),
            (
                ["--right", "access", "--subject", "email:user1@example.cn", "--param", "colour=red"],
                "colour: unknown parameter; 'access' accepts no parameters"
            ),
            (
                [
                    "--right", "erasure", "--subject", "email:user1@example.cn", "--param", "ground=consent-withdrawn", "--param",
                    "priority=high",
                ], "priority: unknown parameter; 'erasure' accepts only ground"
            ),
            (
                [
                    "--right", "correction", "--subject", "email:user1@example.cn", "--param", "field=../../etc/passwd", "--param",
                    "value=x",
                ], "field: expected letters, digits and . _ , : + - only"
            ),
            (
                ["--right", "correction", "--subject", "email:user1@example.cn", "--param", "field=user..contact", "--param", "value=x"],
                "field: expected a category such as user.contact.phone or a table.column"
            ),
        ]
        for (arguments, error) in cases {
            let result = try await cli.run(["submit"] + arguments)
            #expect(result.status == 64, "bad input: \(arguments.prefix(4)): \(result.errors)")
            #expect(result.errors.contains(error), "\(arguments.prefix(4)): \(result.errors)")
            #expect(!result.errors.contains("user1"), "the error does not echo the identity")
        }
        #expect(try #require(try cli.json(try await cli.run("requests", "--json")) as? [Any]).isEmpty)
        #expect(try await cli.run("outbox").output.contains("the outbox is empty"))
        #expect(try await cli.run("audit", "verify").output.contains("0 entries"))
        // Normalised when accepted: case and spacing do not make a second person.
        let (mixed, id) = try await submit(cli, "--right", "access", "--subject", "email:User1@Example.CN")
        #expect(mixed.status == 0)
        let mixedID = try #require(id)
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", mixedID, "--json")) as? [[String: Any]])
        #expect(((outbox.first?["message"] as? [String: Any])?["recipient"] as? [String: Any])?["value"] as? String == "user1@example.cn")
    }
}
