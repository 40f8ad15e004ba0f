import Foundation
import GRDB
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// Deadlines, quotes, end dates and retention periods rehearsed with `--at`, through the
/// shipped CLI on the sample deployment: nothing waits for real time.
@Suite("Rehearsing the law's dates with a simulated clock")
struct RehearsalTests {
    func seeded(_ config: String) async throws -> CommandLineRunner {
        let cli = try CommandLineRunner(config: config, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "30").status == 0)
        return cli
    }

    func json(_ cli: CommandLineRunner, _ arguments: [String]) async throws -> [String: Any] {
        let result = try await cli.run(arguments + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.errors)")
        return try #require(try cli.json(result) as? [String: Any], "\(arguments): \(result.output)")
    }

    /// Files and verifies at `time`; returns the request as verification left it.
    func fileAndVerify(_ cli: CommandLineRunner, at time: String, _ arguments: [String]) async throws -> [String: Any] {
        let filed = try await json(cli, ["submit", "--at", time] + arguments)
        let id = try #require(filed["id"] as? String)
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        let body = try #require(
            outbox.compactMap { $0["message"] as? [String: Any] }.last { $0["kind"] as? String == "verification-code" }?["body"] as? String)
        return try await json(cli, ["verify", id, "--at", time, "--code", try #require(RightsTestHarness.code(in: body))])
    }

    @Test func aQuotedFeeIsToldThenAcceptedDeclinedOrLeftToLapse() async throws {
        let config = try CommandLineRunner.repositoryConfig.replacingOccurrences(
            of: "repeat: { window_days: 365, free: 4, beyond: fee, fee: { amount: 30, currency: CNY } }",
            with: "repeat: { window_days: 365, free: 1, beyond: fee, fee: { amount: 30, currency: CNY, valid_days: 14 } }"
        )
        let cli = try await seeded(config)
        let subject = ["--right", "explanation", "--subject", "email:user1@example.cn"]
        #expect(try await fileAndVerify(cli, at: "2027-01-04", subject)["state"] as? String == "completed")

        let quoted = try await fileAndVerify(cli, at: "2027-01-05", subject)
        #expect(quoted["state"] as? String == "awaitingFee")
        let quotedID = try #require(quoted["id"] as? String)
        let messages = try #require(try cli.json(try await cli.run("outbox", "--request", quotedID, "--json")) as? [[String: Any]])
        let quote = try #require(messages.compactMap { $0["message"] as? [String: Any] }.first { $0["kind"] as? String == "fee-quote" })
        let body = try #require(quote["body"] as? String)
        #expect(body.contains("30 CNY"))
        #expect(body.contains("rightskit fee accept \(quotedID)") && body.contains("rightskit fee decline \(quotedID)"))
        #expect(body.contains("valid until 2027-01-19"))
        #expect((quote["recipient"] as? [String: Any])?["value"] as? String == "user1@example.cn")
        let accepted = try await json(cli, ["fee", "accept", quotedID, "--at", "2027-01-06"])
        #expect(accepted["state"] as? String == "completed")

        let declined = try await fileAndVerify(cli, at: "2027-01-07", subject)
        let declinedID = try #require(declined["id"] as? String)
        #expect(try await json(cli, ["fee", "decline", declinedID, "--at", "2027-01-07"])["state"] as? String == "cancelled")

        let lapsing = try await fileAndVerify(cli, at: "2027-01-08", subject)
        let lapsingID = try #require(lapsing["id"] as? String)
        _ = try await json(cli, ["sweep", "--at", "2027-01-22"])
        #expect(try await json(cli, ["status", lapsingID])["state"] as? String == "awaitingFee", "valid through 2027-01-22")
        // Three sweeps at once past the quote's last day: the request is cancelled once.
        let sweeps = try await ConcurrentProcessTests.together(cli, Array(repeating: ["sweep", "--at", "2027-01-23T00:01"], count: 3))
        #expect(sweeps.allSatisfy { $0.status == 0 }, "\(sweeps.map(\.errors))")
        #expect(try await json(cli, ["status", lapsingID])["state"] as? String == "cancelled")

        // Every step audited, and the rehearsal cannot pass for production.
        let audit = try await json(cli, ["audit", "verify"])
        #expect(audit["intact"] as? Bool == true)
        #expect((audit["simulated"] as? Int ?? 0) > 10)
        #expect(try await cli.run("audit", "verify").output.contains("entries were written under a simulated clock"))
        let actions = try await DatabaseQueue(path: cli.directory.file("data/rightskit.sqlite")).read { db in
            try String.fetchAll(
                db, sql: "SELECT action FROM audit_entries WHERE action LIKE 'fee.%' OR action = 'repetition.fee-quoted' ORDER BY seq")
        }
        #expect(
            actions == [
                "repetition.fee-quoted", "fee.accepted", "repetition.fee-quoted", "fee.declined", "repetition.fee-quoted", "fee.lapsed",
            ])
    }

    @Test func aDiscontinuationIsToldAheadWaitsWithoutBeingOverdueAndTheSweepErasesOnTheEndDate() async throws {
        let cli = try await seeded(try CommandLineRunner.repositoryConfig)
        let filed = try await json(
            cli,
            [
                "submit", "--at", "2027-01-04", "--right", "discontinuation-notice", "--subject", "product:bos",
                "--requester", "operator", "--reference", "board-2026-11", "--param", "ends=2027-01-31",
            ])
        let id = try #require(filed["id"] as? String)
        #expect(filed["state"] as? String == "inProgress")
        let told = Int((filed["outcome"] as? [String: Any]).flatMap { ($0["references"] as? [String: String])?["notified"] } ?? "") ?? 0
        #expect(told > 0, "the filing reports how many subjects were told")
        let sample = try DatabaseQueue(path: cli.directory.file("data/sample-business.sqlite"))
        let users = try await sample.read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*) FROM (SELECT account_id FROM activated_services WHERE product = 'bos' UNION SELECT account_id FROM orders WHERE product = 'bos')"
            )
        }
        #expect(told == users)
        // Not overdue while it waits: nothing is due before the end of the end date.
        let overdue = try #require(try cli.json(try await cli.run("requests", "--due-before", "2027-01-31", "--json")) as? [Any])
        #expect(overdue.isEmpty)
        _ = try await json(cli, ["sweep", "--at", "2027-01-30T23:50"])
        #expect(try await json(cli, ["status", id])["state"] as? String == "inProgress")
        let before = try await sample.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activated_services WHERE product = 'bos'")
        }
        #expect((before ?? 0) > 0)
        _ = try await json(cli, ["sweep", "--at", "2027-01-31T00:05"])
        let done = try await json(cli, ["status", id])
        #expect(["completed", "partiallyCompleted"].contains(done["state"] as? String ?? ""), "\(done)")
        let after = try await sample.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM activated_services WHERE product = 'bos'")
        }
        #expect(after == 0, "erased on the end date by the sweep alone")
    }

    @Test func rowsWhoseRetentionLiftedAreErasedByTheSweepOnTheAnniversary() async throws {
        let cli = try await seeded(try CommandLineRunner.repositoryConfig)
        let sample = try DatabaseQueue(path: cli.directory.file("data/sample-business.sqlite"))
        let account = try #require(
            try await sample.read { db in
                try Int.fetchOne(db, sql: "SELECT account_id FROM orders WHERE created_at >= '2024-06-01' ORDER BY account_id LIMIT 1")
            })
        let erased = try await fileAndVerify(
            cli, at: "2027-02-01",
            ["--right", "erasure", "--subject", "email:\(SampleBusinessDatabase.email(account))", "--param", "ground=consent-withdrawn"])
        #expect(erased["state"] as? String == "partiallyCompleted", "recent orders are restricted")
        let earliest = try sample.read { db in
            try Row.fetchOne(
                db, sql: "SELECT row_key, lifts_at FROM rightskit_restrictions WHERE table_name = 'orders' ORDER BY lifts_at LIMIT 1")
        }
        let first = try #require(earliest)
        let orderKey: String = first["row_key"]
        let lifts = Date(timeIntervalSince1970: first["lifts_at"])
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        let created = try #require(
            try await sample.read { db in try String.fetchOne(db, sql: "SELECT created_at FROM orders WHERE id = ?", arguments: [orderKey])
            })
        // Three calendar years from the order's local date.
        #expect(
            Timestamp.day(lifts, in: shanghai)
                == Timestamp.day(
                    CalendarPeriod.years(3).added(to: try #require(Timestamp.date(created, localTo: shanghai)), in: shanghai), in: shanghai)
        )
        #expect(Timestamp.day(lifts, in: shanghai).suffix(5) == created.prefix(10).suffix(5), "the same day of the year")

        let dayBefore = Timestamp.string(lifts.addingTimeInterval(-60))
        _ = try await json(cli, ["sweep", "--at", dayBefore])
        let kept = try await sample.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE id = ?", arguments: [orderKey])
        }
        #expect(kept == 1, "still within the period")
        // Three sweeps at once on the anniversary: the rows are erased once, by one of them.
        let after = Timestamp.string(lifts.addingTimeInterval(60))
        let sweeps = try await ConcurrentProcessTests.together(cli, Array(repeating: ["sweep", "--at", after, "--json"], count: 3))
        #expect(sweeps.allSatisfy { $0.status == 0 }, "\(sweeps.map(\.errors))")
        let reports = sweeps.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.output.utf8))) as? [String: Any] }
        let erasedOrders = reports.map { ($0["restrictionsLifted"] as? [String: Int])?["orders"] ?? 0 }
        #expect(erasedOrders.filter { $0 > 0 }.count == 1, "one sweep erased them: \(erasedOrders)")
        let gone = try await sample.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE id = ?", arguments: [orderKey])
        }
        #expect(gone == 0)
        let restrictions = try await sample.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM rightskit_restrictions WHERE table_name = 'orders' AND row_key = ?", arguments: [orderKey])
        }
        #expect(restrictions == 0)
        let lifted = try await DatabaseQueue(path: cli.directory.file("data/rightskit.sqlite")).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entries WHERE action = 'retention.lifted'")
        }
        #expect(lifted == 1)
    }

    /// A filing nobody confirms (a decoy, a typo) is closed a day after its code expired, and
    /// keeps no one's identity: the subject is not messaged about a request they never made.
    @Test func anUnconfirmedFilingIsClosedADayAfterItsCodeExpired() async throws {
        let cli = try await seeded(try CommandLineRunner.repositoryConfig)
        let filed = try await json(cli, ["submit", "--at", "2027-03-01T09:00", "--right", "access", "--subject", "email:user6@example.cn"])
        let id = try #require(filed["id"] as? String)
        _ = try await json(cli, ["sweep", "--at", "2027-03-02T09:05"])
        #expect(try await json(cli, ["status", id])["state"] as? String == "awaitingVerification", "a day and ten minutes have not passed")
        _ = try await json(cli, ["sweep", "--at", "2027-03-02T09:11"])
        let closed = try await json(cli, ["status", id])
        #expect(closed["state"] as? String == "denied")
        #expect(closed["subject"] == nil && closed["contact"] == nil, "minimised")
        #expect(((closed["outcome"] as? [String: Any])?["ground"] as? [String: Any])?["code"] as? String == "identity-not-verified")
        let outbox = try #require(try cli.json(try await cli.run("outbox", "--request", id, "--json")) as? [[String: Any]])
        #expect(
            outbox.count == 1 && outbox.allSatisfy { $0["minimised"] as? Bool == true },
            "only the code, minimised; no outcome to the subject")
    }
}
