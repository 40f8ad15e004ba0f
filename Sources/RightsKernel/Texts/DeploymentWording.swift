import Foundation

/// A deployment's own wording: a `texts` section that replaces catalogue strings, per language.
///
/// ```yaml
/// texts:
///   en: { explanation: "Get everything our shops hold about you." }
///   zh-Hans: { explanation: "获取我们门店保存的关于您的全部信息。" }
/// ```
///
/// Each key must be one the catalogue already has (or start with one of `open`, such as a right's
/// `choice.` labels for values only the deployment knows), so a misspelt key is an error at load,
/// with the closest key, rather than wording that silently never shows.
enum DeploymentWording {
    static func read(_ section: ConfigSection, known: Set<String>, open: [String] = []) throws(ConfigError) -> TextCatalogue {
        var strings: [TextLanguage: [String: String]] = [:]
        for (name, texts) in try section.sections() {
            guard let language = TextLanguage(rawValue: name) else {
                let names = TextLanguage.allCases.map(\.rawValue)
                let hint = Spelling.closest(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
                throw section.invalidKey(name, "unknown language\(hint); expected one of \(names.joined(separator: ", "))")
            }
            for key in texts.keys {
                guard known.contains(key) || open.contains(where: { key.hasPrefix($0) }) else {
                    let hint = Spelling.closest(to: key, in: known.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
                    throw texts.invalidKey(key, "no text is called this\(hint)")
                }
                let text = try texts.string(key)
                guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw texts.invalid(key, "expected some text") }
                strings[language, default: [:]][key] = text
            }
        }
        return TextCatalogue(strings)
    }
}
