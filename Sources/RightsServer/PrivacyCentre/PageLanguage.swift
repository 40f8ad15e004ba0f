import Foundation
import Hummingbird

/// A language the privacy centre speaks: English or Simplified Chinese.
enum PageLanguage: String, CaseIterable, Sendable {
    case english = "en"
    case simplifiedChinese = "zh-Hans"

    /// The language a page is shown in: the one the person chose (`lang` in a form or the
    /// address), else the first their browser prefers that we speak, else English.
    static func chosen(_ choice: String?, acceptLanguage: String?) -> PageLanguage {
        if let choice, let language = PageLanguage(rawValue: choice) { return language }
        for range in (acceptLanguage ?? "").split(separator: ",") {
            let tag = range.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if tag.hasPrefix("zh") { return .simplifiedChinese }
            if tag.hasPrefix("en") { return .english }
        }
        return .english
    }
}

/// The page strings of one language, read from `Texts/<language>.json` (one catalogue per
/// language), with `{{name}}` placeholders filled in as plain text.
struct PageTexts: Sendable {
    let strings: [PageLanguage: [String: String]]

    static func load(from folder: URL) throws -> PageTexts {
        var strings: [PageLanguage: [String: String]] = [:]
        for language in PageLanguage.allCases {
            let data = try Data(contentsOf: folder.appendingPathComponent("\(language.rawValue).json"))
            strings[language] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return PageTexts(strings: strings)
    }

    func text(_ key: String, _ language: PageLanguage, _ values: [String: String] = [:]) -> String {
        var text = strings[language]?[key] ?? strings[.english]?[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{{\(name)}}", with: value) }
        return text
    }

    /// The string of `key` in `language`, or nil when the catalogue has none.
    func optional(_ key: String, _ language: PageLanguage) -> String? { strings[language]?[key] }

    /// Every string of `language` keyed for a template (`home.title` as `home_title`).
    func catalogue(_ language: PageLanguage) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (strings[language] ?? [:]).map { ($0.key.replacingOccurrences(of: ".", with: "_"), $0.value) })
    }
}
