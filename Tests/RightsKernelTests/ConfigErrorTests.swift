import Foundation
import RightsKernel
import RightsStore
import RightsTesting
import Testing

@Suite("Deployment file errors name file, line, column and key path")
struct ConfigErrorTests {
    @Test func validDeploymentLoads() throws {
        let deployment = try loadDeployment(validDeployment)
        #expect(deployment.settings.name == "example-cloud-cn")
        #expect(deployment.settings.policy.deadline.days == 15)
        #expect(deployment.settings.policy.repetition?.fee == FeeQuote(amount: 30, currency: "CNY"))
        #expect(deployment.rights.keys.sorted() == ["probe"])
        #expect(deployment.settings.store.path == "/tmp/data/rightskit.sqlite")
    }

    @Test func yamlSyntaxErrorIsLocated() {
        let yaml = validDeployment.replacingOccurrences(
            of: "  deadline: { days: 15, business_days: true }", with: "  deadline: { days: 15, business_days: true")
        let errors = configErrors(yaml)
        #expect(errors.count == 1)
        #expect(errors.first?.file == "deploy.yaml")
        #expect(errors.first?.message.contains("YAML syntax error") == true)
        #expect((errors.first?.line ?? 0) >= 3)
        #expect(errors.first?.description.hasPrefix("deploy.yaml:") == true)
    }

    @Test func unknownModuleSuggestsClosestName() {
        let yaml = validDeployment.replacingOccurrences(of: "  probe: { steps: 2 }", with: "  prboe: { steps: 2 }")
        let error = configErrors(yaml).first
        #expect(error?.keyPath == "rights.prboe")
        #expect(error?.line == 11)
        #expect(error?.message.contains("did you mean 'probe'?") == true)
        #expect(error?.message.contains("known modules: probe") == true)
    }

    @Test func wrongTypeNamesWhatWasExpected() {
        let yaml = validDeployment.replacingOccurrences(of: "deadline: { days: 15,", with: "deadline: { days: fifteen,")
        let error = configErrors(yaml).first
        #expect(error?.description == "deploy.yaml:3:21: policy.deadline.days: expected an integer, found 'fifteen'")
    }

    @Test func quotedNumberIsAWrongType() {
        let yaml = validDeployment.replacingOccurrences(of: "max_attempts: 3", with: "max_attempts: \"3\"")
        let error = configErrors(yaml).first
        #expect(error?.keyPath == "services.identity.max_attempts")
        #expect(error?.line == 8)
    }

    @Test func missingRequiredKey() {
        let yaml = validDeployment.replacingOccurrences(of: "name: example-cloud-cn, ", with: "")
        let error = configErrors(yaml).first
        #expect(error?.keyPath == "deployment.name")
        #expect(error?.line == 1)
        #expect(error?.message.contains("missing required key") == true)
    }

    @Test func missingSectionIsReported() {
        let yaml = validDeployment.replacingOccurrences(of: "rights:\n  probe: { steps: 2 }", with: "")
        #expect(configErrors(yaml).map(\.keyPath) == ["rights"])
    }

    @Test func unknownKeyIsATypoNotSilence() {
        let yaml = validDeployment.replacingOccurrences(of: "business_days: true", with: "bussiness_days: true")
        let error = configErrors(yaml).first
        #expect(error?.keyPath == "policy.deadline.bussiness_days")
        #expect(error?.line == 3)
        #expect(error?.column == 25)
        #expect(error?.message.contains("did you mean 'business_days'?") == true)
    }

    @Test func unknownTopLevelKey() {
        let error = configErrors(validDeployment + "\nrigths: {}\n").first
        #expect(error?.keyPath == "rigths")
        #expect(error?.message.contains("did you mean 'rights'?") == true)
    }

    @Test func unknownKeyInsideAModuleSection() {
        let yaml = validDeployment.replacingOccurrences(of: "probe: { steps: 2 }", with: "probe: { stpes: 2 }")
        let error = configErrors(yaml).first
        #expect(error?.keyPath == "rights.probe.stpes")
        #expect(error?.message.contains("did you mean 'steps'?") == true)
    }

    @Test func negativeDeadlineIsImpossible() {
        let yaml = validDeployment.replacingOccurrences(of: "deadline: { days: 15,", with: "deadline: { days: -3,")
        let error = configErrors(yaml).first
        #expect(error?.description == "deploy.yaml:3:21: policy.deadline.days: expected a positive number of days up to 3650, found -3")
    }

    @Test(arguments: [
        ("timezone: Asia/Shanghai", "timezone: Mars/Olympus", "deployment.timezone"),
        ("free: 4", "free: -1", "policy.repeat.free"),
        ("beyond: fee", "beyond: charge", "policy.repeat.beyond"),
        ("currency: CNY", "currency: yuan", "policy.repeat.fee.currency"),
        ("amount: 30", "amount: 0", "policy.repeat.fee.amount"),
        ("code_ttl_seconds: 600", "code_ttl_seconds: 5", "services.identity.code_ttl_seconds"),
        ("extension: { days: 15 }", "extension: { days: 0 }", "policy.extension.days"),
    ])
    func impossibleValuesAreLocated(original: String, replacement: String, keyPath: String) {
        let errors = configErrors(validDeployment.replacingOccurrences(of: original, with: replacement))
        #expect(errors.map(\.keyPath) == [keyPath])
        #expect(errors.first?.line ?? 0 > 0)
    }

    @Test func moduleValidatesItsOwnSectionAtLoad() {
        let yaml = validDeployment.replacingOccurrences(of: "probe: { steps: 2 }", with: "probe: { steps: 0 }")
        let error = configErrors(yaml).first
        #expect(error?.description == "deploy.yaml:11:19: rights.probe.steps: expected 1 to 1000, found 0")
    }

    @Test func moduleEnumeratedValueSuggestsTheClosest() {
        let yaml = validDeployment.replacingOccurrences(of: "probe: { steps: 2 }", with: "probe: { verification: strnog }")
        let error = configErrors(yaml).first
        #expect(error?.keyPath == "rights.probe.verification")
        #expect(error?.message.contains("did you mean 'strong'?") == true)
    }

    @Test func severalMistakesAreReportedTogether() {
        let yaml =
            validDeployment
            .replacingOccurrences(of: "deadline: { days: 15,", with: "deadline: { days: -3,")
            .replacingOccurrences(of: "  probe: { steps: 2 }", with: "  prboe: {}")
        let errors = configErrors(yaml)
        #expect(Set(errors.map(\.keyPath)) == ["policy.deadline.days", "rights.prboe"])
    }

    @Test func fileThatCannotBeReadIsAnError() {
        #expect(throws: ConfigError.self) { try ConfigSection.load(path: "/nonexistent/config.yaml") }
    }
}
