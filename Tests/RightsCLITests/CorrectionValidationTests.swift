import Foundation
import NIOHTTP1
import RightsTesting
import Testing

/// A correction writes only what its field's category can hold, and never gives one subject's
/// identity to another: over real HTTP on the sample deployment.
@Suite("Corrections validated by category")
struct CorrectionValidationTests {
    func outcome(_ server: ServedDeployment, subject: String, field: String, value: String) async throws -> [String: Any] {
        let filed = try await server.file("correction", subject: subject, parameters: ["field": field, "value": value])
        #expect(filed.reply.status == 201, "\(filed.reply.text)")
        return try await server.verify(filed.id, secret: filed.secret).json
    }

    @Test func junkAndAnotherSubjectsPhoneAreRefusedAndNothingChanges() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig())
        let junk = "1'); DROP TABLE accounts;--"
        // Named by its category: refused at intake, before any code is sent.
        let refused = try await server.file(
            "correction", subject: "email:user2@example.cn", parameters: ["field": "user.contact.phone", "value": junk])
        #expect(refused.reply.status == 400 && (refused.reply.json["error"] as? [String: Any])?["field"] as? String == "value")
        #expect(refused.reply.text.contains("E.164"), "\(refused.reply.text)")
        // Named by its column: refused by the data service, with the ground.
        let byColumn = try await outcome(server, subject: "email:user2@example.cn", field: "accounts.phone", value: junk)
        #expect(byColumn["state"] as? String == "denied")
        #expect((byColumn["outcome"] as? [String: Any])?["ground"] as? String == "invalid-value", "\(byColumn)")
        let badEmail = try await outcome(server, subject: "email:user2@example.cn", field: "accounts.email", value: "not an email")
        #expect((badEmail["outcome"] as? [String: Any])?["ground"] as? String == "invalid-value")

        // Another subject's phone: refused, so locating that phone still finds one account.
        let taken = try await outcome(server, subject: "email:user2@example.cn", field: "user.contact.phone", value: "+8613000000003")
        #expect((taken["outcome"] as? [String: Any])?["ground"] as? String == "identity-in-use", "\(taken)")
        #expect(!("\(taken)".contains("user3")), "nothing about the other account is told")
        let located = try await server.runner.run("data", "locate", "--subject", "phone:+8613000000003", "--json")
        #expect(located.status == 0, "\(located.errors)")
        #expect(!located.output.contains("user2@example.cn"), "subject 2 did not take subject 3's phone")

        // A valid new phone is written.
        let fixed = try await outcome(server, subject: "email:user2@example.cn", field: "user.contact.phone", value: "+8613912345678")
        #expect(fixed["state"] as? String == "completed", "\(fixed)")
        // A number typed as people type it is stored as locating looks for it.
        let typed = try await outcome(server, subject: "email:user5@example.cn", field: "user.contact.phone", value: "139 1111 2222")
        #expect(typed["state"] as? String == "completed", "\(typed)")
        let found = try await server.runner.run("data", "locate", "--subject", "phone:+8613911112222", "--json")
        #expect(found.output.contains("accounts"), "\(found.output) \(found.errors)")
    }
}
