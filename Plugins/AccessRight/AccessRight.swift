import Foundation
import RightsKernel

/// Clause 5.1, the right of access: the subject's data grouped by category (account
/// information, transaction information, …) as a JSON document and a readable HTML page, with
/// held or exempt categories left out and their grounds stated.
///
/// Keys: `output` (folder for the files, default `data/exports`), `exempt` (category → the
/// ground that exempts it from access, such as `trade-secret`), `headings` (category prefix →
/// the heading it is shown under).
public struct AccessRight: RightModule {
    public static let identifier = "access"
    public static let summary = "5.1 Access: the subject's data by category, as JSON and a readable page"

    let output: String
    let exempt: [(category: DataCategory, ground: DenialGround)]
    let headings: [(prefix: DataCategory, heading: String)]

    public static let defaultHeadings: [(prefix: DataCategory, heading: String)] = [
        ("user.account", "Account information"), ("user.contact", "Account information"), ("user.identity", "Account information"),
        ("user.device", "Account security"), ("user.financial", "Transaction information"), ("user.service", "Services activated"),
        ("user.consent", "Consents"), ("user.support", "Support tickets"),
    ]

    public init(configuration: ConfigSection, services: Services) throws {
        output = try configuration.path("output", default: "data/exports")
        var exempt: [(DataCategory, DenialGround)] = []
        if let section = try configuration.optionalSection("exempt") {
            for category in section.keys {
                guard DataCategory.isValid(category) else { throw section.invalidKey(category, "expected a dotted category such as user.financial") }
                let code = try section.string(category)
                guard let ground = DenialGround.kernel(code) else {
                    throw section.invalid(category, "expected a ground: \(DenialGround.exceptionGrounds.map(\.code).joined(separator: ", "))")
                }
                exempt.append((DataCategory(category), ground))
            }
        }
        self.exempt = exempt
        var headings: [(DataCategory, String)] = []
        if let section = try configuration.optionalSection("headings") {
            for prefix in section.keys { headings.append((DataCategory(prefix), try section.string(prefix))) }
        }
        self.headings = headings.isEmpty ? Self.defaultHeadings : headings
    }

    struct Export: Codable, Sendable {
        var records: Int
        var categories: Int
        var json: String
        var html: String
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject else { return .denied(.otherLaw, message: "The request no longer names its subject.") }
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
            let json = try JSONExportWriter(path: jsonPath)
            let html = try ReadableAccessPage(path: htmlPath, headings: headings, withheld: withheld)
            // One pass per heading, in the configured order, so the page shows each heading once.
            let passes = Self.passes(headings: headings, withheld: withheld.map(\.category))
            let records = try await context.services.data.export([subject], passes: passes, into: TeeExportSink([json, html])).records
            try json.finish()
            try html.finish()
            return Export(records: records.values.reduce(0, +), categories: records.count, json: jsonPath, html: htmlPath)
        }
        let message = "Your data: \(export.records) record(s) in \(export.categories) categories, as JSON and as a readable page."
            + (withheld.isEmpty ? "" : " Left out: \(withheld.map { "\($0.category.name) (\($0.ground.explanation))" }.joined(separator: "; ")).")
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
    public static func withheld(held: Set<DataCategory>, holds: [Hold], exempt: [(category: DataCategory, ground: DenialGround)]) -> [WithheldCategory] {
        var result: [WithheldCategory] = []
        for hold in holds {
            guard let withheld = hold.withheld, held.contains(where: { $0.isWithin(withheld.category) }) else { continue }
            result.append(withheld)
        }
        for (category, ground) in exempt where held.contains(where: { $0.isWithin(category) }) && !result.contains(where: { $0.category == category }) {
            result.append(WithheldCategory(category: category, ground: ground))
        }
        return result
    }
}
