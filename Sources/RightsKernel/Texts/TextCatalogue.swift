public import Foundation

/// A language the people a deployment serves read: what the privacy centre's pages and every
/// message to a subject are written in.
public enum TextLanguage: String, CaseIterable, Codable, Sendable {
    case english = "en"
    case simplifiedChinese = "zh-Hans"

    /// The language chosen (`lang` in a form or address, `language` in a filing), else the first
    /// the browser prefers (`Accept-Language`), else the first of `languages`: always one of
    /// `languages`, the ones the deployment serves.
    public static func chosen(_ choice: String?, acceptLanguage: String?, among languages: [TextLanguage] = allCases) -> TextLanguage {
        if let choice, let language = TextLanguage(rawValue: choice), languages.contains(language) { return language }
        for range in (acceptLanguage ?? "").split(separator: ",") {
            let tag = range.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            let wanted: TextLanguage? = tag.hasPrefix("zh") ? .simplifiedChinese : tag.hasPrefix("en") ? .english : nil
            if let wanted, languages.contains(wanted) { return wanted }
        }
        return languages.first ?? .english
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

/// One string catalogue per language: the pages' strings and the messages a subject receives,
/// with `{{name}}` placeholders filled as plain text.
///
/// A deployment's catalogue is the kernel's (`Texts/<language>.json` beside it), each enabled
/// module's under `right.<identifier>.` (its name, title, explanation, form labels and outcome
/// sentences), then the deployment's own wording, each layer overriding the one before.
public struct TextCatalogue: Sendable, Equatable {
    var strings: [TextLanguage: [String: String]]
    /// The languages the deployment serves, the first for a person who chose none (one told
    /// of an operator's announcement).
    public var languages: [TextLanguage] = TextLanguage.allCases
    /// The language a person is written to when they chose none.
    public var defaultLanguage: TextLanguage { languages.first ?? .english }

    /// A catalogue of the given strings per language.
    public init(_ strings: [TextLanguage: [String: String]] = [:]) { self.strings = strings }

    /// The catalogues shipped in `bundle`, one `<language>.json` per language (a module's own
    /// resources); languages without a file are left out.
    public init(resourcesIn bundle: Bundle) {
        var strings: [TextLanguage: [String: String]] = [:]
        for language in TextLanguage.allCases {
            guard let url = bundle.url(forResource: language.rawValue, withExtension: "json"),
                let data = try? Data(contentsOf: url), let table = try? JSONDecoder().decode([String: String].self, from: data)
            else { continue }
            strings[language] = table
        }
        self.init(strings)
    }

    /// The kernel's catalogues.
    public static let standard = TextCatalogue(resourcesIn: .module)

    /// This catalogue with `other`'s strings added under `prefix`, replacing any with the same key.
    public func including(_ other: TextCatalogue, under prefix: String = "") -> TextCatalogue {
        var merged = self
        for (language, table) in other.strings {
            for (key, text) in table { merged.strings[language, default: [:]][prefix + key] = text }
        }
        return merged
    }

    /// The text of `key` in `language` (English where that language lacks it, the key itself
    /// where both do), its placeholders filled from `values`.
    public func text(_ key: String, _ language: TextLanguage, _ values: [String: String] = [:]) -> String {
        fill(strings[language]?[key] ?? strings[.english]?[key] ?? key, values)
    }

    /// The text of `key` in `language`, or nil when the catalogue has none.
    public func optional(_ key: String, _ language: TextLanguage) -> String? { strings[language]?[key] ?? strings[.english]?[key] }

    /// Every key of `language`, for checks that both languages say the same things.
    public func keys(_ language: TextLanguage) -> Set<String> { Set(strings[language].map { Array($0.keys) } ?? []) }

    /// Every string of `language` keyed for a template (`home.title` as `home_title`).
    public func catalogue(_ language: TextLanguage) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (strings[language] ?? [:]).map { ($0.key.replacingOccurrences(of: ".", with: "_"), $0.value) })
    }

    func fill(_ template: String, _ values: [String: String]) -> String {
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
}

extension TextCatalogue {
    /// The language `request`'s subject reads: the one chosen at filing, else the deployment's.
    public func language(of request: RightRequest) -> TextLanguage { request.language ?? defaultLanguage }

    /// A text told to `request`'s subject in their language: the right's own wording of `key`
    /// (`right.<right>.<key>`) where it has one, else the kernel's.
    public func said(to request: RightRequest, _ key: String, _ values: [String: String] = [:]) -> String {
        said(key, for: request.right, in: language(of: request), values)
    }

    /// A text of `right` in `language`: the right's own wording of `key` where it has one, else
    /// the kernel's.
    public func said(_ key: String, for right: String, in language: TextLanguage, _ values: [String: String] = [:]) -> String {
        first(["right.\(right).\(key)", key], language).map { fill($0, values) } ?? key
    }

    /// The first of `keys` said in `language`, else the first said in English: a right's wording
    /// in English only never hides the kernel's in the person's own language.
    func first(_ keys: [String], _ language: TextLanguage) -> String? {
        for candidate in [language, .english] {
            for key in keys { if let text = strings[candidate]?[key] { return text } }
        }
        return nil
    }

    /// What `request`'s subject must read before confirming it (the right's `notice`, such as
    /// the backup warning of account cancellation, clause 5.5), in their language.
    public func notice(for request: RightRequest) -> String? { optional("right.\(request.right).notice", language(of: request)) }

    /// The right `request` asks for, named in its subject's language.
    public func rightName(of request: RightRequest) -> String { rightName(request.right, language(of: request)) }

    /// The right `identifier` named in `language` (its identifier where the catalogue has no name).
    public func rightName(_ identifier: String, _ language: TextLanguage) -> String {
        optional("right.\(identifier).name", language) ?? identifier
    }

    /// What a denial ground means, in `request`'s subject's language: the right's wording, the
    /// kernel's, else the ground's own English explanation.
    public func ground(_ ground: DenialGround, for request: RightRequest) -> String {
        self.ground(ground, right: request.right, in: language(of: request))
    }

    /// What `ground` means in `language`, as `right` words it.
    public func ground(_ ground: DenialGround, right: String, in language: TextLanguage) -> String {
        first(["right.\(right).ground.\(ground.code)", "ground.\(ground.code)"], language).map { fill($0, ["detail": ground.detail ?? ""]) }
            ?? ground.explanation
    }

    /// Items listed as `request`'s subject's language lists them ("a, b" in English, "a、b" in
    /// Chinese).
    /// `strong` separates items that hold commas themselves ("a; b", "a；b").
    public func list(_ items: [String], for request: RightRequest, strong: Bool = false) -> String {
        items.joined(separator: text(strong ? "list.separator.strong" : "list.separator", language(of: request)))
    }

    /// A local day told to `request`'s subject, written as their language writes it.
    public func day(_ date: Date, for request: RightRequest, in timeZone: TimeZone) -> String {
        language(of: request).day(date, in: timeZone)
    }
}
