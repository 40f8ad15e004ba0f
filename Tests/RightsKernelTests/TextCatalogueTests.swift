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

/// Every right module's own catalogue, read from the repository: both languages say the same
/// things with the same placeholders, the privacy centre finds a name, title and explanation,
/// and every key a module's source says is in its catalogue or the kernel's, so no person is
/// ever sent a bare key.
extension TextCatalogueTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func moduleFolders() throws -> [URL] {
        let plugins = repository.appendingPathComponent("Plugins")
        let examples = repository.appendingPathComponent("Examples/CustomRight/Sources")
        return try [plugins, examples].flatMap { folder in
            try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("Texts/en.json").path) }
        }
    }

    static func table(_ folder: URL, _ language: TextLanguage) throws -> [String: String] {
        let file = folder.appendingPathComponent("Texts/\(language.rawValue).json")
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: Data(contentsOf: file))
    }

    @Test func everyModuleSaysEverythingInBothLanguagesWithTheSamePlaceholders() throws {
        let folders = try Self.moduleFolders()
        #expect(folders.count >= 10, "the nine shipped rights and the example's restriction speak from catalogues")
        for folder in folders {
            let english = try Self.table(folder, .english)
            for key in ["name", "title", "explanation"] { #expect(english[key] != nil, "\(folder.lastPathComponent) has no \(key)") }
            let chinese = try Self.table(folder, .simplifiedChinese)
            guard !chinese.isEmpty else { continue }  // a module may speak English only (the example's CCPA opt-out)
            #expect(
                Set(english.keys) == Set(chinese.keys),
                "\(folder.lastPathComponent): \(Set(english.keys).symmetricDifference(chinese.keys).sorted())")
            for (key, text) in english {
                #expect(Self.placeholders(text) == Self.placeholders(chinese[key] ?? ""), "\(folder.lastPathComponent): \(key)")
            }
        }
    }

    @Test func everyKeyAModuleSaysIsInACatalogue() throws {
        let kernel = TextCatalogue.standard.keys(.english)
        var checked = 0
        for folder in try Self.moduleFolders() {
            let own = Set(try Self.table(folder, .english).keys)
            let sources = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "swift" }
            for source in sources {
                // Lines naming audit actions hold dotted names too (`notice.sent`); they are not texts.
                let text = try String(contentsOf: source, encoding: .utf8).split(separator: "\n").filter { !$0.contains("AuditAction(") }
                    .joined(separator: "\n")
                for match in text.matches(of: /"((?:outcome|notice|because|choice|field)\.[a-z_.\-]+)"/) {
                    let key = String(match.1)
                    checked += 1
                    #expect(own.contains(key) || kernel.contains(key), "\(source.lastPathComponent) says \(key), which no catalogue has")
                }
            }
        }
        #expect(checked > 40)
    }
}
