import Foundation
import GRDB
import RightsStore
import RightsTesting
import Testing

@Suite("The default deployment works on the sample database, as a new user runs it")
struct DefaultDeploymentTests {
    @Test func seedThenCheckAndLocate() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        let missing = try await cli.run("check-config")
        #expect(missing.status == 3, "the data map names a database that is not there yet")
        #expect(missing.errors.contains("data_map.sources.business: the database file"))

        let seeded = try await cli.run("demo", "seed", "--subjects", "200")
        #expect(seeded.status == 0, "\(seeded.errors)")
        let check = try await cli.run("check-config")
        #expect(check.status == 0, "\(check.errors)")
        #expect(check.errors.isEmpty, "the sample's links are all indexed: \(check.errors)")

        let located = try await cli.run("data", "locate", "--subject", "email:user15@example.cn", "--json")
        let footprint = try #require(try cli.json(located) as? [String: Any])
        let tables = try #require(footprint["tables"] as? [[String: Any]])
        #expect(tables.first { $0["table"] as? String == "accounts" }?["rows"] as? Int == 1)
        #expect(tables.first { $0["table"] as? String == "support_tickets" }?["rows"] as? Int == 1)

        let exported = try await cli.run("data", "export", "--subject", "phone:+8613000000015", "--out", "export.json")
        #expect(exported.status == 0, "\(exported.errors)")
        let document =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.directory.file("export.json"))))
            as? [String: Any]
        let categories = try #require(document?["categories"] as? [[String: Any]])
        #expect(categories.contains { $0["category"] as? String == "user.contact.email" })
        let text = try String(contentsOfFile: cli.directory.file("export.json"), encoding: .utf8)
        #expect(text.contains("user15@example.cn"))
        #expect(!text.contains("user16@example.cn"))
        #expect(!text.contains("user14@example.cn"))
    }

    @Test func seedingIsDeterministic() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        _ = try await cli.run("demo", "seed", "--subjects", "50", "--out", "a.sqlite", "--vault", "va.sqlite")
        _ = try await cli.run("demo", "seed", "--subjects", "50", "--out", "b.sqlite", "--vault", "vb.sqlite")
        let dump = { (name: String) throws -> String in
            let queue = try DatabaseQueueReader(path: cli.directory.file(name))
            return try queue.dump()
        }
        #expect(try dump("a.sqlite") == dump("b.sqlite"))
    }
}

/// Reads every table except the encrypted column (its ciphertext uses a fresh key and nonce).
struct DatabaseQueueReader {
    let queue: DatabaseQueue
    init(path: String) throws { queue = try DatabaseQueue(path: path) }

    func dump() throws -> String {
        try queue.read { db in
            var lines: [String] = []
            for table in [
                "accounts", "third_party_logins", "login_devices", "orders", "transactions", "activated_services", "consents",
                "support_tickets",
            ] {
                let columns = table == "accounts" ? "id, user_id, email, phone, display_name, real_name, address, created_at" : "*"
                for row in try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table) ORDER BY id") { lines.append("\(table) \(row)") }
            }
            return lines.joined(separator: "\n")
        }
    }
}
