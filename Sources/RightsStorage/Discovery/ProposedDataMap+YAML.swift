import Foundation
import RightsKernel

extension ProposedDataMap {
    /// The map as a data map file, ready for `check-config`: every suggestion with its
    /// confidence and reason as a comment beside it, and the tables left out listed at the end.
    package func yaml(header: [String], vault: String = "data/vault.sqlite") -> String {
        var lines = header.map { "# " + $0 }
        lines.append("vault: \(Self.scalar(vault))")
        lines.append("sources:")
        lines.append("  \(sourceName):")
        lines += sourceLines.map { "    " + $0 }
        lines.append(tables.isEmpty ? "    tables: {}" : "    tables:")
        for table in tables {
            lines.append("      \(table.name):")
            lines.append("        key: \(table.key)")
            switch table.link {
            case .identities(let identities):
                let pairs = identities.map { "\($0.kind): \($0.column)" }.joined(separator: ", ")
                lines.append(Self.commented("        identities: { \(pairs) }", table.linkBasis))
            case .parent(let column, let parent, let referenced, _):
                lines.append(Self.commented("        link: { column: \(column), references: \(parent).\(referenced) }", table.linkBasis))
            }
            if let retention = table.retention {
                lines.append(
                    "        retention: { basis: \(Self.scalar(retention.basis)), years: \(retention.years), from: \(retention.from) }   # review: \(table.retentionReason ?? "")"
                )
            } else if let reason = table.retentionReason {
                lines.append("        # retention: \(reason)")
            }
            if table.fields.isEmpty {
                lines.append("        fields: {}   # nothing personal here; mapped because tables below link through it")
                continue
            }
            lines.append("        fields:")
            for field in table.fields {
                let entry =
                    "          \(field.column): { category: \(field.category), erase: \(Self.erasure(field.erasure)), type: \(Self.scalar(field.type)) }"
                var basis = field.basis
                basis.reason += "; erase: \(field.erasureReason)"
                lines.append(Self.commented(entry, basis))
            }
        }
        if !notPersonal.isEmpty {
            lines.append(
                "    # Reviewed as holding nothing personal; `datamap drift` still reports a personal-looking column added to one.")
            lines.append("    not_personal:")
            for table in notPersonal { lines.append("      - \(table.table)   # \(table.reason)") }
        }
        if !unlinked.isEmpty {
            lines.append("# Personal, but not mapped (review by hand):")
            for table in unlinked { lines.append("#   \(table.table): \(table.reason)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func commented(_ line: String, _ basis: Basis) -> String {
        let confidence = String(format: "%.2f", basis.confidence)
        return "\(line)   # \(confidence) \(basis.reason)"
    }

    static func erasure(_ strategy: ErasureStrategy) -> String {
        if case .fixed(let text) = strategy { return "{ fixed: \(scalar(text)) }" }
        return strategy.name
    }

    /// A YAML double-quoted scalar.
    package static func scalar(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
