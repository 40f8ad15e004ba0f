import Foundation
import RightsKernel
import Testing

/// A deployment words its own pages and messages: its languages, and any catalogue string per
/// language, for the kernel (`deployment.texts`) or one right (`rights.<right>.texts`). A
/// misspelt key or an unknown language is a load error at its line, never wording that silently
/// never shows.
@Suite("A deployment's own wording and languages")
struct DeploymentWordingTests {
    static let chineseFirst = validDeployment.replacingOccurrences(
        of: "deployment: { name: example-cloud-cn, jurisdiction: CN-PIPL, timezone: Asia/Shanghai }",
        with: """
            deployment:
              name: example-cloud-cn
              jurisdiction: CN-PIPL
              timezone: Asia/Shanghai
              languages: [zh-Hans, en]
              texts:
                zh-Hans: { home.lead: "请选择您要行使的权利。" }
            """)

    @Test func theDeploymentsWordingReplacesTheCataloguesAndItsFirstLanguageIsTheDefault() throws {
        let yaml = Self.chineseFirst.replacingOccurrences(
            of: "  probe: { steps: 2 }", with: "  probe: { steps: 2, texts: { en: { message.code.title: \"Your code for the probe\" } } }")
        let deployment = try loadDeployment(yaml)
        let texts = deployment.services.texts
        #expect(deployment.settings.languages == [.simplifiedChinese, .english])
        #expect(texts.defaultLanguage == .simplifiedChinese)
        #expect(texts.text("home.lead", .simplifiedChinese) == "请选择您要行使的权利。")
        #expect(texts.text("home.lead", .english) == TextCatalogue.standard.text("home.lead", .english), "only the language worded changes")
        var probe = RightRequest(
            right: "probe", subject: SubjectIdentity(kind: "email", value: "a@example.cn"), subjectKey: SubjectKey(rawValue: "k"),
            receivedAt: Date(), dueAt: Date())
        probe.language = .english
        var other = probe
        other.right = "access"
        #expect(texts.said(to: probe, "message.code.title", ["right": "probe"]) == "Your code for the probe", "one right's own wording")
        #expect(texts.said(to: other, "message.code.title", ["right": "access"]) == "Confirm the access request", "the kernel's for others")
        var chinese = probe
        chinese.language = .simplifiedChinese
        #expect(
            texts.said(to: chinese, "message.code.title", ["right": "probe"])
                == TextCatalogue.standard.text("message.code.title", .simplifiedChinese, ["right": "probe"]),
            "a right's English-only wording never hides the kernel's Chinese")
        var unchosen = probe
        unchosen.language = nil
        #expect(texts.language(of: unchosen) == .simplifiedChinese, "a person who chose no language reads the deployment's first")
    }

    @Test func aMisspeltTextIsALoadErrorNamingTheClosestKey() {
        let yaml = validDeployment.replacingOccurrences(
            of: "  probe: { steps: 2 }", with: "  probe: { steps: 2, texts: { en: { mesage.code.title: Confirm } } }")
        let error = configErrors(yaml).first
        #expect(error?.keyPath == "rights.probe.texts.en.mesage.code.title")
        #expect(error?.line == 11)
        #expect(error?.message.contains("did you mean 'message.code.title'?") == true, "\(String(describing: error))")
    }

    @Test func aLanguageTheCataloguesDoNotSpeakIsALoadError() {
        let unknown = Self.chineseFirst.replacingOccurrences(of: "languages: [zh-Hans, en]", with: "languages: [zh-Hans, fr]")
        #expect(configErrors(unknown).first?.keyPath == "deployment.languages")
        let misnamed = Self.chineseFirst.replacingOccurrences(of: "zh-Hans: { home.lead", with: "zh-hans: { home.lead")
        let error = configErrors(misnamed).first
        #expect(error?.keyPath == "deployment.texts.zh-hans")
        #expect(error?.message.contains("did you mean 'zh-Hans'?") == true, "\(String(describing: error))")
    }
}
