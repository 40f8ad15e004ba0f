package import RightsKernel

/// A data map proposed from a live database: the same shape as the deployment's, with the
/// confidence and reason of every suggestion for the person who reviews it.
package struct ProposedDataMap: Sendable {
    /// A suggestion's confidence (0 to 1) and why, in one line without any value.
    package struct Basis: Sendable, Equatable {
        package var confidence: Double
        package var reason: String

        package init(_ confidence: Double, _ reason: String) {
            self.confidence = confidence
            self.reason = reason
        }
    }

    package struct Field: Sendable {
        package var column: String
        package var category: String
        package var erasure: ErasureStrategy
        /// The type the database declared, kept in the map so `datamap drift` sees it change.
        package var type: String
        package var basis: Basis
        package var erasureReason: String
    }

    package struct Retention: Sendable {
        package var basis: String
        package var years: Int
        package var from: String
    }

    package enum Link: Sendable {
        case identities([(kind: String, column: String)])
        case parent(column: String, table: String, referencedColumn: String, declared: Bool)
    }

    package struct Table: Sendable {
        package var name: String
        package var key: String
        package var link: Link
        package var linkBasis: Basis
        package var fields: [Field]
        package var retention: Retention?
        package var retentionReason: String?
    }

    /// A table left out of the map, and why.
    package struct LeftOut: Sendable {
        package var table: String
        package var reason: String
    }

    package var sourceName: String
    /// `path: …` or `url: …` and `password_env: …`, as the source is reached.
    package var sourceLines: [String]
    package var tables: [Table]
    /// Tables with personal data but no way to reach the person: for a human to link.
    package var unlinked: [LeftOut]
    /// Tables with nothing personal.
    package var notPersonal: [LeftOut]

    package func table(_ name: String) -> Table? { tables.first { $0.name == name } }
}
