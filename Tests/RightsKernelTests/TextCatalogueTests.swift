import Foundation
import RightsKernel
import Testing

/// One string catalogue per language: each says everything the other says, with the same
/// placeholders, so no page or message falls back to English or loses a value in Chinese.
@Suite("The string catalogues: English and Simplified Chinese")
struct TextCatalogueTests {
    static func placeholders(_ text: String) -> Set<String> {
        Set(text.matches(of: /\{\{([a-zA-Z]+)\}\}/).map { String($0.1) })
    }

    @Test func everyKeyIsInBothLanguagesWithTheSamePlaceholders() {
        let catalogue = TextCatalogue.standard
        let english = catalogue.catalogue(.english)
        let chinese = catalogue.catalogue(.simplifiedChinese)
        #expect(english.count > 100, "the catalogues were loaded")
        #expect(Set(english.keys) == Set(chinese.keys), "\(Set(english.keys).symmetricDifference(chinese.keys).sorted())")
        for (key, text) in english {
            #expect(Self.placeholders(text) == Self.placeholders(chinese[key] ?? ""), "\(key)")
        }
    }

    @Test func valuesAreFilledInOnePassAndNeverReadAsPlaceholders() {
        let text = TextCatalogue.standard.text("message.extension.body", .english, ["due": "2027-01-08", "reason": "{{due}} is {{id}}"])
        #expect(text == "We will respond by 2027-01-08. Reason: {{due}} is {{id}}")
    }

    @Test func aFilingsLanguageIsTheBrowsersUnlessOneIsChosen() {
        #expect(TextLanguage.chosen(nil, acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8") == .simplifiedChinese)
        #expect(TextLanguage.chosen("en", acceptLanguage: "zh-CN") == .english)
        #expect(TextLanguage.chosen(nil, acceptLanguage: "fr-FR, de") == .english)
        #expect(TextLanguage.chosen("xx", acceptLanguage: nil) == .english)
    }
}

extension TextCatalogueTests {
    @Test func aDayIsWrittenAsTheLanguageWritesItInTheDeploymentsZone() throws {
        let zone = try #require(TimeZone(identifier: "Asia/Shanghai"))
        // 2026-12-28 17:30 UTC is already the 29th in Shanghai.
        let instant = try #require(Timestamp.date("2026-12-28T17:30:00Z"))
        #expect(TextLanguage.english.day(instant, in: zone) == "2026-12-29")
        #expect(TextLanguage.simplifiedChinese.day(instant, in: zone) == "2026年12月29日")
    }
}
