import Foundation
import RightsKernel
import RightsTesting
import Testing

/// The contract a module declares, read from outside through the shipped `rightskit`: its
/// settings (`modules --describe`), located errors in its section, the data capabilities it
/// needs and the denial grounds it adds.
@Suite("Modules declare their settings, capabilities and grounds; the kernel enforces them at load")
struct ModuleContractTests {
    /// The repository's deployment with its `rights:` replaced.
    static func deployment(rights: String, editing edit: (String) -> String = { $0 }) throws -> String {
        let config = try CommandLineRunner.repositoryConfig
        let head = config.components(separatedBy: "\nrights:\n").first ?? config
        return edit(head) + "\nrights:\n" + rights + "\n"
    }

    @Test func describeListsEachSettingWithItsTypeAndDefault() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        let text = try await cli.run("modules", "--describe", "erasure")
        #expect(text.status == 0, "\(text.errors)")
        #expect(
            text.output.contains(
                "grounds: list of one of purpose-achieved, service-ended, consent-withdrawn, unlawful-processing, other-law; default: [purpose-achieved, service-ended, consent-withdrawn, unlawful-processing, other-law]"
            ), "\(text.output)")
        #expect(text.output.contains("data capabilities: erasing, reading"))
        let json = try #require(try cli.json(try await cli.run("modules", "--describe", "correction", "--json")) as? [String: Any])
        let settings = try #require(json["settings"] as? [[String: Any]])
        let maxLength = try #require(settings.first { $0["name"] as? String == "max_length" })
        #expect(maxLength["type"] as? String == "integer 1 to 2000")
        #expect(maxLength["defaultValue"] as? String == "500")
        #expect((json["denialGrounds"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.contains("correct-elsewhere") == true)
        let unknown = try await cli.run("modules", "--describe", "erasur")
        #expect(unknown.status == 4 && unknown.errors.contains("did you mean 'erasure'?"))
    }

    /// For every shipped module, a misspelling of its first own key is an error at that key's
    /// line, suggesting the key, before any other setting is read.
    @Test func aMisspeltKeyIsLocatedWithASuggestionForEveryModule() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let listing = try #require(try cli.json(try await cli.run("modules", "--json")) as? [[String: Any]])
        let identifiers = listing.compactMap { $0["identifier"] as? String }
        #expect(identifiers.count == 9)
        for identifier in identifiers {
            let description = try #require(
                try cli.json(try await cli.run("modules", "--describe", identifier, "--json")) as? [String: Any])
            let keys = (description["settings"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            let key = try #require(keys.first { $0 != "verification" && $0 != "review" }, "\(identifier) declares no key of its own")
            let misspelt = String(key.prefix(1)) + String(key.dropFirst(2))
            let file = "misspelt-\(identifier).yaml"
            let yaml = try Self.deployment(rights: "  \(identifier):\n    \(misspelt): 1\n")
            try yaml.write(toFile: cli.directory.file(file), atomically: true, encoding: .utf8)
            let line = yaml.components(separatedBy: "\n").firstIndex { $0.hasPrefix("    \(misspelt):") }.map { $0 + 1 } ?? 0
            let check = try await cli.run("check-config", "--config", file)
            #expect(check.status == 3, "\(identifier): \(check.output) \(check.errors)")
            #expect(
                check.errors.contains("\(file):\(line):5: rights.\(identifier).\(misspelt): unknown key (did you mean '\(key)'?)"),
                "\(identifier): \(check.errors)")
        }
    }

    /// Consent withdrawal needs a consent registry; a data map without one is refused at load,
    /// at the right's line, saying what to declare.
    @Test func aRightNeedingACapabilityTheConnectorLacksIsRefusedAtLoad() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let yaml = try Self.deployment(
            rights: "  access: {}\n  consent-withdrawal:\n    purposes: { marketing: { functions: [newsletters] } }"
        ) {
            $0.replacingOccurrences(
                of: "      consent_registry: { table: consents, purpose_column: purpose, withdrawn_column: withdrawn_at }\n", with: "")
        }
        try yaml.write(toFile: cli.directory.file("no-registry.yaml"), atomically: true, encoding: .utf8)
        let line = (yaml.components(separatedBy: "\n").firstIndex { $0.hasPrefix("  consent-withdrawal:") } ?? 0) + 2
        let check = try await cli.run("check-config", "--config", "no-registry.yaml")
        #expect(check.status == 3)
        #expect(check.errors.contains("no-registry.yaml:\(line):"), "\(check.errors)")
        #expect(
            check.errors.contains("rights.consent-withdrawal: the consent-withdrawal right needs a consent registry (consent-registry)"))
        #expect(check.errors.contains("declares no consent registry: add `consent_registry:"), "\(check.errors)")
        // The same map with the registry declared loads.
        let whole = try Self.deployment(rights: "  consent-withdrawal:\n    purposes: { marketing: { functions: [newsletters] } }")
        try whole.write(toFile: cli.directory.file("registry.yaml"), atomically: true, encoding: .utf8)
        #expect(try await cli.run("check-config", "--config", "registry.yaml").status == 0)
    }

    /// `deny` accepts a ground a module adds (correction's `correct-elsewhere`) and suggests the
    /// closest for one it does not know.
    @Test func operatorsCiteAModulesOwnGround() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await cli.run("demo", "seed", "--subjects", "10").status == 0)
        let submitted = try await cli.run(
            "submit", "--right", "correction", "--subject", "email:user3@example.cn", "--param", "field=user.contact.phone",
            "--param", "value=+86 138 0000 0000", "--json")
        let id = try #require((try cli.json(submitted) as? [String: Any])?["id"] as? String, "\(submitted.errors)")
        let wrong = try await cli.run("deny", id, "--ground", "correct-elsewere")
        #expect(wrong.status != 0 && wrong.errors.contains("did you mean 'correct-elsewhere'?"), "\(wrong.errors)")
        let denied = try #require(try cli.json(try await cli.run("deny", id, "--ground", "correct-elsewhere", "--json")) as? [String: Any])
        #expect(denied["state"] as? String == "denied")
        #expect(((denied["outcome"] as? [String: Any])?["ground"] as? [String: Any])?["code"] as? String == "correct-elsewhere")
    }
}
