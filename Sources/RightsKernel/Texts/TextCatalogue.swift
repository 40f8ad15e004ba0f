public import Foundation

/// A language the people a deployment serves read: what the privacy centre's pages and every
/// message to a subject are written in.
public enum TextLanguage: String, CaseIterable, Codable, Sendable {
    case english = "en"
    case simplifiedChinese = "zh-Hans"

    /// The language chosen (`lang` in a form or address, `language` in a filing), else the first
    /// the browser prefers that we speak (`Accept-Language`), else English.
    public static func chosen(_ choice: String?, acceptLanguage: String?) -> TextLanguage {
        if let choice, let language = TextLanguage(rawValue: choice) { return language }
        for range in (acceptLanguage ?? "").split(separator: ",") {
            let tag = range.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if tag.hasPrefix("zh") { return .simplifiedChinese }
            if tag.hasPrefix("en") { return .english }
        }
        return .english
    }
}

extension TextLanguage {
    /// A local calendar day told to a person, as their language writes it: `2026-12-28` in
    /// English (as RightsKit has always written it), `2026年12月28日` in Chinese.
    public func day(_ date: Date, in timeZone: TimeZone) -> String {
        switch self {
        case .english: return Timestamp.day(date, in: timeZone)
        case .simplifiedChinese:
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return "\(parts.year ?? 0)年\(parts.month ?? 0)月\(parts.day ?? 0)日"
        }
    }
}

/// One string catalogue per language (`Texts/<language>.json` beside the kernel): the pages'
/// strings and the messages a subject receives, with `{{name}}` placeholders filled as plain text.
public struct TextCatalogue: Sendable {
    let strings: [TextLanguage: [String: String]]

    /// The catalogues shipped with the kernel.
    public static let standard: TextCatalogue = {
        var strings: [TextLanguage: [String: String]] = [:]
        for language in TextLanguage.allCases {
            guard let url = Bundle.module.url(forResource: language.rawValue, withExtension: "json"),
                let data = try? Data(contentsOf: url), let table = try? JSONDecoder().decode([String: String].self, from: data)
            else { continue }
            strings[language] = table
        }
        return TextCatalogue(strings: strings)
    }()

    /// The text of `key` in `language` (English where that language lacks it, the key itself
    /// where both do), its placeholders filled from `values`.
    public func text(_ key: String, _ language: TextLanguage, _ values: [String: String] = [:]) -> String {
        let template = strings[language]?[key] ?? strings[.english]?[key] ?? key
        // One pass over the template, so a value that itself holds `{{…}}` is left as it is.
        var text = ""
        var rest = template[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            text += rest[..<open.lowerBound]
            let name = String(rest[open.upperBound..<close.lowerBound])
            text += values[name] ?? "{{\(name)}}"
            rest = rest[close.upperBound...]
        }
        return text + rest
    }

    /// The text of `key` in `language`, or nil when the catalogue has none.
    public func optional(_ key: String, _ language: TextLanguage) -> String? { strings[language]?[key] }

    /// Every string of `language` keyed for a template (`home.title` as `home_title`).
    public func catalogue(_ language: TextLanguage) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (strings[language] ?? [:]).map { ($0.key.replacingOccurrences(of: ".", with: "_"), $0.value) })
    }

}
