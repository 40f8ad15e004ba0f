import Foundation
public import RightsKernel

/// Clause 5.8, the right to an explanation of the processing rules: the activities of the
/// deployment's processing register (purpose, categories, legal basis, retention, recipients)
/// that apply to this subject, limited to the categories actually held about them.
///
/// Settings: ``Settings``.
public struct ExplanationRight: RightModule {
    public static let identifier = "explanation"
    public static let summary = "5.8 Explanation of the processing rules that apply to the subject"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)

    /// One processing activity of the register.
    public struct Activity: Codable, Sendable {
        var purpose: String
        var categories: [DataCategory]
        var legalBasis: String
        var retention: String
        var recipients: [String]
    }

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var output = "data/exports"
        public var register: [Activity] = []

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey(path: "output", \.output, "the folder the response files are written to"),
                SettingKey(
                    "register", type: "list of { purpose, categories, legal_basis, retention, recipients }", default: nil,
                    "the processing register: each activity's purpose, data categories, legal basis, retention and recipients"
                ) { settings, section in
                    for (index, entry) in try section.sections(list: "register").enumerated() {
                        let categories = try entry.strings("categories")
                        for category in categories where !DataCategory.isValid(category) {
                            throw entry.invalid("categories", "expected dotted categories, found '\(category)'")
                        }
                        guard !categories.isEmpty else { throw entry.invalid("categories", "activity \(index + 1) lists no categories") }
                        settings.register.append(
                            Activity(
                                purpose: try entry.string("purpose"), categories: categories.map { DataCategory($0) },
                                legalBasis: try entry.string("legal_basis"), retention: try entry.string("retention"),
                                recipients: try entry.strings("recipients")
                            ))
                        try entry.rejectUnknownKeys()
                    }
                },
            ]
        }

        public func validate(in section: ConfigSection) throws(ConfigError) {
            guard !register.isEmpty else { throw section.invalid("register", "expected at least one processing activity") }
        }
    }

    let output: String
    let register: [Activity]

    public init(settings: Settings, services: Services) throws {
        output = settings.output
        register = settings.register
    }

    struct Written: Codable, Sendable {
        var activities: Int
        var json: String
        var text: String
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject else { return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete")) }
        let held = try await context.services.data.categoriesHeld(for: [subject])
        let applicable: [Activity] = register.compactMap { activity in
            let categories = held.filter { category in activity.categories.contains { category.isWithin($0) } }.sorted()
            guard !categories.isEmpty else { return nil }
            var narrowed = activity
            narrowed.categories = categories
            return narrowed
        }
        let written = try await context.step("explanation.write", durability: .idempotent) {
            let folder = try request.responseFolder(under: output)
            let json = folder.appendingPathComponent("explanation.json").path
            let text = folder.appendingPathComponent("explanation.txt").path
            try PrivateFiles.write(CanonicalJSON.encode(applicable), to: json)
            try PrivateFiles.write(Data(Self.render(applicable).utf8), to: text)
            return Written(activities: applicable.count, json: json, text: text)
        }
        let purposes = context.list(applicable.map(\.purpose), for: request, strong: true)
        let message = context.said(
            to: request, applicable.isEmpty ? "outcome.none" : written.activities == 1 ? "outcome.one" : "outcome.many",
            ["count": "\(written.activities)", "purposes": purposes])
        return .done(message, references: ["json": written.json, "text": written.text, "activities": "\(written.activities)"])
    }

    static func render(_ activities: [Activity]) -> String {
        var text = "How we process your personal information\n\n"
        for activity in activities {
            text += "Purpose: \(activity.purpose)\n"
            text += "  Information used: \(activity.categories.map(\.name).joined(separator: ", "))\n"
            text += "  Legal basis: \(activity.legalBasis)\n"
            text += "  Kept for: \(activity.retention)\n"
            text += "  Shared with: \(activity.recipients.isEmpty ? "no one outside us" : activity.recipients.joined(separator: ", "))\n\n"
        }
        return text
    }
}
