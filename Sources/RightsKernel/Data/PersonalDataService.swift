import Foundation

/// Access to the organisation's personal data, as the data map describes it.
///
/// Every operation finds the subject's rows by any of the identities given, across every source
/// and table of the map, and touches nothing of other subjects.
public protocol PersonalDataService: Sendable {
    /// How many rows of each table hold data about the subject, and the categories held.
    func footprint(of identities: [SubjectIdentity], scope: DataScope) async throws -> SubjectFootprint
    /// Streams the subject's data to `sink`, grouped by category, then table; memory stays flat
    /// whatever the subject holds.
    func export(_ identities: [SubjectIdentity], scope: DataScope, into sink: any ExportSink) async throws -> ExportSummary
    /// Corrects or supplements exactly one field named by category or `table.column` (clause
    /// 5.2), only if `scope` covers its category; exactly once per request, even when retried.
    func correct(_ identities: [SubjectIdentity], field: String, value: String, scope: DataScope, request: RequestID) async throws -> CorrectionResult
    /// Erases the subject's data in scope by each field's strategy; data under a running
    /// retention period is restricted instead. Exactly once per request, even when retried.
    func erase(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport
    /// The contacts (emails, phone numbers) the map holds for the subject in tables that link
    /// rows by identity, so a code reaches the subject where they already are.
    func contacts(of identities: [SubjectIdentity]) async throws -> [SubjectIdentity]
    /// A keyed hash of a value, for audit entries that must prove a change without holding it.
    func fingerprint(_ value: String) -> String
    /// Records in the consent registry that the subject withdrew consent for `purposes` (nil:
    /// every purpose). Earlier processing is left as it was (clause 5.3, withdrawal). Exactly once
    /// per request, even when retried.
    func withdrawConsent(_ identities: [SubjectIdentity], purposes: [String]?, request: RequestID, at time: Date) async throws -> ConsentWithdrawal
    /// Every subject holding data of a product, each with the identities the map links it by.
    func subjects(withProduct product: String) async throws -> [[SubjectIdentity]]
    /// Records that collection for a product stops at a date, where host applications read it.
    func recordDiscontinuation(product: String, collectionStopsAt: Date, request: RequestID) async throws
    /// Erases, by each field's strategy, the rows whose retention restriction has lifted by
    /// `time` (and rows kept only because retained rows referred to them, once those are gone),
    /// removing their restrictions; how many rows of each table were erased.
    func eraseLiftedRestrictions(at time: Date) async throws -> [String: Int]
    /// Erases as ``erase(_:scope:request:at:)`` does and marks the account cancelled where the
    /// data map declares how, in the same transaction (clause 5.5).
    func cancelAccount(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport
}

extension PersonalDataService {
    /// Erasure alone, for a service that keeps no account state.
    public func cancelAccount(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport {
        try await erase(identities, scope: scope, request: request, at: time)
    }

    /// Nothing restricted, for a service that keeps no restrictions.
    public func eraseLiftedRestrictions(at time: Date) async throws -> [String: Int] { [:] }

    /// No contacts on file, for a service that keeps none.
    public func contacts(of identities: [SubjectIdentity]) async throws -> [SubjectIdentity] { [] }

    /// Streams several passes in order (one per heading of a readable page, say); a service may
    /// read them all from one consistent snapshot. By default, one export per pass.
    public func export(_ identities: [SubjectIdentity], passes: [DataScope], into sink: any ExportSink) async throws -> ExportSummary {
        var summary = ExportSummary()
        for scope in passes {
            summary.records.merge(try await export(identities, scope: scope, into: sink).records, uniquingKeysWith: +)
        }
        return summary
    }

    /// The data categories held about the subject.
    public func categoriesHeld(for identities: [SubjectIdentity]) async throws -> Set<DataCategory> {
        try await footprint(of: identities, scope: .everything).categories
    }
}

/// Which of a subject's data an operation covers.
public struct DataScope: Sendable, Equatable {
    /// Only these categories (and those below them); nil for all.
    public var categories: [DataCategory]?
    /// Never these categories (held, exempt); wins over `categories`.
    public var excluding: [DataCategory]
    /// Only rows of these products: rows of tables with a `product_column`, and the rows that
    /// link to them; nil for all data.
    public var products: [String]?

    public init(categories: [DataCategory]? = nil, excluding: [DataCategory] = [], products: [String]? = nil) {
        self.categories = categories
        self.excluding = excluding
        self.products = products
    }

    public static let everything = DataScope()

    /// Whether a field of `category` is in scope.
    public func covers(_ category: DataCategory) -> Bool {
        if excluding.contains(where: { category.isWithin($0) }) { return false }
        if let categories, !categories.contains(where: { category.isWithin($0) }) { return false }
        return true
    }

}
