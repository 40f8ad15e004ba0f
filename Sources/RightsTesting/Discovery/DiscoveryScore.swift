package import RightsStorage

/// How a proposed data map compares with an evaluation schema's hand-labelled truth.
package struct DiscoveryScore: Sendable, CustomStringConvertible {
    /// Of the truly personal columns, the share proposed as personal.
    package var personalFound: Double
    /// Of the columns proposed as personal, the share truly personal.
    package var proposedPersonal: Double
    /// Of the personal columns found, the share whose category is right at the top level
    /// (`user.contact`, `user.financial`).
    package var categoryRight: Double
    /// Of the tables that reach a person, the share whose link (or identities) is right.
    package var linksRight: Double
    /// What was missed, proposed wrongly or categorised wrongly, for a reader of a failure.
    package var misses: [String]

    package init(_ proposal: ProposedDataMap, against schema: EvaluationSchema) {
        let truth = schema.personalColumns
        var proposed: [String: String] = [:]
        for table in proposal.tables { for field in table.fields { proposed["\(table.name).\(field.column)"] = field.category } }
        let found = truth.keys.filter { proposed[$0] != nil }
        let correct = proposed.keys.filter { truth[$0] != nil }
        let categorised = found.filter { Self.topLevel(truth[$0] ?? "") == Self.topLevel(proposed[$0] ?? "") }
        var misses = truth.keys.filter { proposed[$0] == nil }.sorted().map { "missed \($0)" }
        misses += proposed.keys.filter { truth[$0] == nil }.sorted().map { "not personal: \($0)" }
        misses += found.filter { !categorised.contains($0) }.sorted().map {
            "category of \($0): \(proposed[$0] ?? "") for \(truth[$0] ?? "")"
        }
        var linked = 0
        var linksRight = 0
        for table in schema.tables where table.link != .none {
            linked += 1
            let proposedLink = proposal.table(table.name)?.link
            switch (table.link, proposedLink) {
            case (.subject, .identities?):
                linksRight += 1
            case (.parent(let column, let parent), .parent(let proposedColumn, let proposedParent, _, _)?)
            where column == proposedColumn && parent == proposedParent:
                linksRight += 1
            default:
                misses.append("link of \(table.name)")
            }
        }
        personalFound = truth.isEmpty ? 1 : Double(found.count) / Double(truth.count)
        proposedPersonal = proposed.isEmpty ? 1 : Double(correct.count) / Double(proposed.count)
        categoryRight = found.isEmpty ? 1 : Double(categorised.count) / Double(found.count)
        self.linksRight = linked == 0 ? 1 : Double(linksRight) / Double(linked)
        self.misses = misses
    }

    /// `user.contact` of `user.contact.email`.
    static func topLevel(_ category: String) -> String {
        category.split(separator: ".").prefix(2).joined(separator: ".")
    }

    package var description: String {
        func percent(_ value: Double) -> String { String(Int((value * 1000).rounded()) / 10) + "%" }
        return
            "personal found \(percent(personalFound)), proposed truly personal \(percent(proposedPersonal)), category right \(percent(categoryRight)), links right \(percent(linksRight))"
    }
}
