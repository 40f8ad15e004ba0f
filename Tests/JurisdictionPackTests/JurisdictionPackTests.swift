import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

/// Every right a pack enables, filed under the simulated clock: it completes, due on the date
/// the pack's law gives.
@Suite("Each jurisdiction pack's rights run to completion, due by its law's calendar")
struct PackRightScenarioTests {
    /// The request each right is filed with, and whether it completes in part (erasure keeps
    /// what retention holds).
    static let requests: [String: [String: String]] = [
        "access": [:], "explanation": [:], "correction": ["field": "user.contact.phone", "value": "+55 11 99999 0000"],
        "erasure": ["ground": "consent-withdrawn"], "consent-withdrawal": ["purpose": "marketing"], "portability": ["mode": "copy"],
    ]

    /// The rights each pack enables, with the date a request received at its start falls due.
    static let packs: [(file: String, start: String, due: String, rights: [String])] = [
        (
            "gdpr.yaml", "2027-01-31 10:00", "2027-02-28",
            ["access", "consent-withdrawal", "correction", "erasure", "explanation", "portability"]
        ),
        ("ccpa.yaml", "2027-01-04 10:00", "2027-02-18", ["access", "correction", "erasure", "portability"]),
        (
            "lgpd.yaml", "2027-01-04 10:00", "2027-01-19",
            ["access", "consent-withdrawal", "correction", "erasure", "explanation", "portability"]
        ),
    ]

    static var scenarios: [(String, String)] { packs.flatMap { pack in pack.rights.map { (pack.file, $0) } } }

    @Test(arguments: packs.map(\.file))
    func theScenariosCoverEveryEnabledRight(_ file: String) throws {
        let pack = try Pack(file, at: "2027-01-04 10:00")
        let listed = Self.packs.first { $0.file == file }?.rights ?? []
        #expect(pack.harness.pipeline.deployment.rights.keys.sorted() == listed)
    }

    @Test(arguments: scenarios)
    func theRightCompletesDueByThePacksCalendar(_ file: String, _ right: String) async throws {
        let entry = try #require(Self.packs.first { $0.file == file })
        let pack = try Pack(file, at: entry.start)
        let request = try await pack.runToEnd(pack.intake(right, subject: 4, Self.requests[right] ?? [:]))
        #expect(
            [.completed, .partiallyCompleted].contains(request.state),
            "\(file) \(right): \(request.state) \(request.outcome?.message ?? "")")
        #expect(pack.day(request.dueAt) == entry.due, "\(file) \(right)")
        #expect(try await pack.harness.store.verify().isIntact)
    }
}

@Suite("GDPR: one calendar month plus two; a fee or a refusal only on an operator's finding (Art. 12(3), 12(5))")
struct GDPRPackTests {
    @Test func aRequestOfThe31stOfJanuaryIsDueOn28FebruaryAndExtendsTo30April() async throws {
        let pack = try Pack("gdpr.yaml", at: "2027-01-31 10:00")
        let request = try await pack.harness.pipeline.submit(pack.intake("access", subject: 2))
        #expect(pack.day(request.dueAt) == "2027-02-28")
        let extended = try await pack.harness.pipeline.extend(request.id, reason: "Many requests at once", operator: "desk")
        #expect(pack.day(extended.dueAt) == "2027-04-30")
        await #expect(throws: PipelineError.self) {
            try await pack.harness.pipeline.extend(request.id, reason: "Again", operator: "desk")
        }
    }

    /// The fourth access request within twelve months is neither charged nor refused by count:
    /// it waits for an operator. Charged on a finding, it is quoted the pack's EUR 10 with the
    /// finding; refused, it cites manifestly-unfounded. Twelve calendar months on, no review.
    @Test func repetitionBringsARequestToAnOperatorWhoChargesOrRefuses() async throws {
        let pack = try Pack("gdpr.yaml", at: "2027-01-10 10:00")
        for _ in 1...3 {
            #expect(try await pack.runToEnd(pack.intake("access", subject: 6)).state == .completed)
            pack.clock.advance(days: 20)
        }
        let fourth = try await pack.harness.run(pack.intake("access", subject: 6))
        #expect(fourth.state == .awaitingReview)
        #expect(try await pack.actions(fourth).contains { $0.event.action == "repetition.review" })
        let charged = try await pack.harness.pipeline.chargeFee(
            fourth.id, operator: "desk", finding: "the same request for the fourth time in two months")
        #expect(charged.state == .awaitingFee)
        #expect(charged.feeQuote == FeeQuote(amount: 10, currency: "EUR"))
        let quote = try #require(try await pack.harness.outbox(for: fourth.id).last { $0.kind == "fee-quote" })
        #expect(quote.body.contains("manifestly unfounded or excessive: the same request for the fourth time in two months"))

        let fifth = try await pack.harness.run(pack.intake("access", subject: 6))
        #expect(fifth.state == .awaitingReview)
        let refused = try await pack.harness.pipeline.deny(fifth.id, ground: .manifestlyUnfounded, operator: "desk")
        #expect(refused.state == .denied && refused.outcome?.ground?.code == "manifestly-unfounded")

        // Twelve calendar months after the last of them the window is empty: no review.
        pack.clock.set(try Pack.local("2028-03-11 10:01", pack.timeZone))
        #expect(try await pack.harness.run(pack.intake("access", subject: 6)).state == .completed)
    }
}

@Suite("CCPA: receipt confirmed within 10 business days, 45 + 45 days, two disclosures in 12 months (§7021, §1798.130)")
struct CCPAPackTests {
    @Test func receiptIsConfirmedAtOnceWithTheDueDates() async throws {
        let pack = try Pack("ccpa.yaml", at: "2027-01-04 10:00")
        let request = try await pack.harness.pipeline.submit(pack.intake("access", subject: 3))
        #expect(pack.day(request.dueAt) == "2027-02-18")
        let messages = try await pack.harness.outbox(for: request.id)
        #expect(messages.first?.kind == "acknowledgement", "sent with the receipt, before the code")
        #expect(messages.first?.body.contains("We will respond by 2027-02-18") == true)
        #expect(messages.contains { $0.kind == "verification-code" })
        let acknowledged = try #require(try await pack.actions(request).first { $0.event.action == "request.acknowledged" })
        // Ten business days after Monday 4 January: Monday 18 January.
        #expect(acknowledged.event.details["due"].flatMap { Timestamp.date($0) }.map(pack.day) == "2027-01-18")
        let extended = try await pack.harness.pipeline.extend(request.id, reason: "Complex request", operator: "desk")
        #expect(pack.day(extended.dueAt) == "2027-04-04")
    }

    @Test func aThirdDisclosureWithinTwelveMonthsIsRefusedAndAllowedAfter() async throws {
        let pack = try Pack("ccpa.yaml", at: "2027-01-04 10:00")
        for day in ["2027-01-04 10:00", "2027-04-14 10:00"] {
            pack.clock.set(try Pack.local(day, pack.timeZone))
            #expect(try await pack.runToEnd(pack.intake("access", subject: 8)).state == .completed)
        }
        pack.clock.set(try Pack.local("2027-07-23 10:00", pack.timeZone))
        let third = try await pack.runToEnd(pack.intake("access", subject: 8))
        #expect(third.state == .denied && third.outcome?.ground == .gratuitousRepetition)
        // Twelve calendar months after the first (4 January 2027) only the second disclosure is
        // in the window: the refused third was not a disclosure and does not count.
        pack.clock.set(try Pack.local("2028-01-04 10:01", pack.timeZone))
        let later = try await pack.runToEnd(pack.intake("access", subject: 8))
        #expect(later.state == .completed, "\(later.state) \(later.outcome?.ground?.code ?? "")")
    }
}

@Suite("LGPD: a simplified answer at once, the complete one within 15 days (Art. 19)")
struct LGPDPackTests {
    @Test func theSubjectHearsAtOnceWhichCategoriesAreHeld() async throws {
        let pack = try Pack("lgpd.yaml", at: "2027-01-04 10:00")
        let submitted = try await pack.harness.pipeline.submit(pack.intake("access", subject: 9))
        #expect(pack.day(submitted.dueAt) == "2027-01-19")
        #expect(try await pack.harness.outbox(for: submitted.id).allSatisfy { $0.kind != "simplified-answer" }, "not before verification")
        let code = try #require(try await pack.harness.latestCode(for: submitted.id))
        let done = try await pack.harness.pipeline.verify(submitted.id, code: code)
        #expect(done.state == .completed)
        let messages = try await pack.harness.outbox(for: submitted.id).map(\.kind)
        #expect(messages == ["verification-code", "simplified-answer", "outcome"])
        let simplified = try #require(try await pack.harness.outbox(for: submitted.id).first { $0.kind == "simplified-answer" })
        #expect(simplified.body.contains("user.contact.email"))
        #expect(simplified.body.contains("The complete answer follows by 2027-01-19."))
    }

    /// Under a hold on the subject the first answer is not sent: the subject learns only the ground.
    @Test func noSimplifiedAnswerUnderASubjectHold() async throws {
        let pack = try Pack("lgpd.yaml", at: "2027-01-04 10:00")
        let subject = SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(10))
        _ = try await pack.harness.services.exceptions.addHold(
            Hold(
                subject: pack.harness.store.subjectKey(for: subject), category: nil, ground: .criminalInvestigation,
                authority: "Case 7", expiresAt: nil, createdAt: pack.clock.now))
        let request = try await pack.harness.run(pack.intake("access", subject: 10))
        #expect(request.state == .denied)
        #expect(try await pack.harness.outbox(for: request.id).allSatisfy { $0.kind != "simplified-answer" })
    }
}
