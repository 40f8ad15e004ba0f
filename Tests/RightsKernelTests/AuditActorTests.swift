import Foundation
import Testing

@testable import RightsKernel

/// Actors are typed in code but stored as the text they always were, so a chain written before
/// they were typed verifies unchanged.
@Suite("Audit actors: one spelling each, the same text in the log")
struct AuditActorTests {
    @Test func eachActorIsTheTextTheLogAlwaysHeld() throws {
        let subject = SubjectKey(rawValue: "0123456789abcdef0123")
        #expect(AuditActor.system.rawValue == "system")
        #expect(AuditActor.operator("dpo").rawValue == "operator:dpo")
        #expect(AuditActor.module("erasure").rawValue == "module:erasure")
        #expect(AuditActor.requester(.agent, subject: subject).rawValue == "agent:0123456789ab")
    }

    @Test func anEventHashesAsItDidWhenTheActorWasText() throws {
        let event = AuditEvent(actor: .operator("dpo"), action: "review.approved", details: ["state": "inProgress"])
        let encoded = try CanonicalJSON.string(event)
        #expect(encoded.contains(#""actor":"operator:dpo""#))
        // SHA-256 of the genesis hash and {"event":{"action":…,"actor":"operator:dpo",…},"time":…},
        // computed apart from Swift (Python's hashlib over the canonical text).
        let entry = try AuditEntry.chained(sequence: 1, time: "2026-12-01T00:00:00Z", event: event, previousHash: AuditEntry.genesisHash)
        #expect(entry.hash == "55f615020d420188ff206d5461cd15b9c19c444179c8db2dfd929d316ff994c0")
        #expect(try CanonicalJSON.decode(AuditEvent.self, from: Data(encoded.utf8)) == event)
    }
}
