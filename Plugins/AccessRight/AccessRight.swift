import Foundation
public import RightsKernel

/// Clause 5.1, the right of access: the subject's data grouped by category (account
/// information, transaction information, …) as a JSON document and a readable HTML page, with
/// held or exempt categories left out and their grounds stated.
///
/// Settings: ``Settings``.
public struct AccessRight: RightModule {
    public static let identifier = "access"
    public static let summary = "5.1 Access: the subject's data by category, as JSON and a readable page"
    /// Its wording in English and Chinese (`Texts/`), which a deployment may reword.
    public static let texts = TextCatalogue(resourcesIn: .module)

    /// The module's keys in the deployment file.
    public struct Settings: ModuleSettings {
        public var output = "data/exports"
        public var exempt: [ExemptCategory] = []
        public var headings: [CategoryHeading] = []

        public init() {}

        public static var keys: [SettingKey<Self>] {
            [
                SettingKey(path: "output", \.output, "the folder the response files are written to"),
                SettingKey(
                    "exempt", type: "mapping of data category → exception ground", default: "{}",
                    "categories exempt from access, each with the ground that exempts it (such as trade-secret)"
                ) { settings, section in
                    guard let exempt = try section.optionalSection("exempt") else { return }
                    for category in exempt.keys {
                        guard DataCategory.isValid(category) else {
                            throw exempt.invalidKey(category, "expected a dotted category such as user.financial")
                        }
                        let code = try exempt.string(category)
                        guard let ground = DenialGround.kernel(code) else {
                            throw exempt.invalid(
                                category, "expected a ground: \(DenialGround.exceptionGrounds.map(\.code).joined(separator: ", "))")
                        }
                        settings.exempt.append(ExemptCategory(category: DataCategory(category), ground: ground))
                    }
                },
                SettingKey(
                    "headings", type: "mapping of category prefix → heading", default: "account, contact, … → the sample's headings",
                    "the heading each category is shown under on the readable page"
                ) { settings, section in
                    guard let headings = try section.optionalSection("headings") else { return }
                    for prefix in headings.keys {
                        settings.headings.append(CategoryHeading(prefix: DataCategory(prefix), heading: try headings.string(prefix)))
                    }
                },
            ]
        }
    }

    /// A category left out of access, with the ground that exempts it.
    public struct ExemptCategory: Sendable {
        public var category: DataCategory
        public var ground: DenialGround
    }

    /// The heading a category prefix is shown under.
    public struct CategoryHeading: Sendable {
        public var prefix: DataCategory
        public var heading: String
    }

    let output: String
    let exempt: [(category: DataCategory, ground: DenialGround)]
    let headings: [(prefix: DataCategory, heading: String)]

    public static let defaultHeadings: [(prefix: DataCategory, heading: String)] = [
        ("user.account", "Account information"), ("user.contact", "Account information"), ("user.identity", "Account information"),
        ("user.device", "Account security"), ("user.financial", "Transaction information"), ("user.service", "Services activated"),
        ("user.consent", "Consents"), ("user.support", "Support tickets"),
    ]

    public init(settings: Settings, services: Services) throws {
        output = settings.output
        exempt = settings.exempt.map { ($0.category, $0.ground) }
        headings = settings.headings.isEmpty ? Self.defaultHeadings : settings.headings.map { ($0.prefix, $0.heading) }
    }

    struct Export: Codable, Sendable {
        var records: Int
        var categories: Int
        var json: String
        var html: String
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject else { return .denied(.otherLaw, message: context.said(to: request, "outcome.incomplete")) }
        // Only holds and exemptions withhold anything; without them the footprint is not needed.
        var withheld: [WithheldCategory] = []
        if !context.categoryHolds.isEmpty || !exempt.isEmpty {
            let held = try await context.services.data.categoriesHeld(for: [subject])
            withheld = Self.withheld(held: held, holds: context.categoryHolds, exempt: exempt)
        }
        let export = try await context.step("access.export", durability: .idempotent) {
            let folder = try request.responseFolder(under: output)
            let jsonPath = folder.appendingPathComponent("access.json").path
            let htmlPath = folder.appendingPathComponent("access.html").path
            let json = try context.services.exports.json(at: jsonPath)
            let html = try ReadableAccessPage(path: htmlPath, headings: headings, withheld: withheld)
            // One pass per heading, in the configured order, so the page shows each heading once.
            let passes = Self.passes(headings: headings, withheld: withheld.map(\.category))
            let records = try await context.services.data.export([subject], passes: passes, into: TeeExportSink([json, html])).records
            try json.finish()
            try html.finish()
            return Export(records: records.values.reduce(0, +), categories: records.count, json: jsonPath, html: htmlPath)
        }
        let leftOut = withheld.map {
            context.said(
                to: request, "outcome.left_out.item",
                ["category": $0.category.name, "explanation": context.explanation(of: $0.ground, for: request)])
        }
        let message =
            context.said(to: request, "outcome.done", ["records": "\(export.records)", "categories": "\(export.categories)"])
            + (withheld.isEmpty
                ? "" : context.said(to: request, "outcome.left_out", ["items": context.list(leftOut, for: request, strong: true)]))
        return .done(message, withheld: withheld, references: ["json": export.json, "html": export.html, "records": "\(export.records)"])
    }

    /// The scopes of the export passes: each heading's categories (less those of earlier
    /// headings and the withheld ones), then everything no heading names.
    static func passes(headings: [(prefix: DataCategory, heading: String)], withheld: [DataCategory]) -> [DataScope] {
        var names: [String] = []
        for entry in headings where !names.contains(entry.heading) { names.append(entry.heading) }
        var earlier: [DataCategory] = []
        var scopes: [DataScope] = []
        for name in names {
            let prefixes = headings.filter { $0.heading == name }.map(\.prefix)
            scopes.append(DataScope(categories: prefixes, excluding: withheld + earlier))
            earlier += prefixes
        }
        scopes.append(DataScope(excluding: withheld + earlier))
        return scopes
    }

    /// The categories held about the subject that holds or exemptions keep out of a response,
    /// each with its ground.
    public static func withheld(held: Set<DataCategory>, holds: [Hold], exempt: [(category: DataCategory, ground: DenialGround)])
        -> [WithheldCategory]
    {
        var result: [WithheldCategory] = []
        for hold in holds {
            guard let withheld = hold.withheld, held.contains(where: { $0.isWithin(withheld.category) }) else { continue }
            result.append(withheld)
        }
        for (category, ground) in exempt
        where held.contains(where: { $0.isWithin(category) }) && !result.contains(where: { $0.category == category }) {
            result.append(WithheldCategory(category: category, ground: ground))
        }
        return result
    }
}
