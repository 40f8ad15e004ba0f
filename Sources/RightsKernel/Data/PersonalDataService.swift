public import Foundation

/// Reading the organisation's personal data, as the data map describes it: the one capability
/// every connector has. What else a connector can do it offers as the capability protocols
/// below (``PersonalDataCorrection``, ``PersonalDataErasure``, ``ConsentRegistry``,
/// ``ProductScope``, ``ProcessingLimits``), each listed in ``capabilities``; a module names the
/// ones it needs in ``RightModule/dataCapabilities`` and the kernel refuses, at load, a
/// deployment whose connector lacks one.
///
/// Every operation finds the subject's rows by any of the identities given, across every source
/// and table of the map, and touches nothing of other subjects.
public protocol PersonalDataService: Sendable {
    /// What this connector can do for this deployment's data map (a registry it does not
    /// declare is not offered, whatever the connector's type supports).
    var capabilities: Set<DataCapability> { get }
    /// Why a capability is not offered, in terms of what the deployment would have to declare.
    func missingReason(_ capability: DataCapability) -> String
    /// How many rows of each table hold data about the subject, and the categories held.
    func footprint(of identities: [SubjectIdentity], scope: DataScope) async throws -> SubjectFootprint
    /// Streams the subject's data to `sink`, grouped by category, then table; memory stays flat
    /// whatever the subject holds.
    func export(_ identities: [SubjectIdentity], scope: DataScope, into sink: any ExportSink) async throws -> ExportSummary
    /// The contacts (emails, phone numbers) the map holds for the subject in tables that link
    /// rows by identity, so a code reaches the subject where they already are.
    func contacts(of identities: [SubjectIdentity]) async throws -> [SubjectIdentity]
    /// A keyed hash of a value, for audit entries that must prove a change without holding it.
    func fingerprint(_ value: String) -> String
    /// The one identity of `kind` the map holds whose value `matches` (a controller's hashed
    /// identity, compared with each value hashed the same way); nil when none does, or more than
    /// one. It reads every value of the kind's identity columns, so it is for the rare request
    /// that names a person only by a digest.
    func identity(ofKind kind: String, where matches: @escaping @Sendable (String) -> Bool) async throws -> SubjectIdentity?
}

/// Correcting the subject's data (clause 5.2).
public protocol PersonalDataCorrection: PersonalDataService {
    /// Corrects or supplements exactly one field named by category or `table.column`, only if
    /// `scope` covers its category; exactly once per request, even when retried.
    func correct(_ identities: [SubjectIdentity], field: String, value: String, scope: DataScope, request: RequestID) async throws
        -> CorrectionResult
    /// The categories a person may name to correct exactly one correctable field, for a form
    /// to offer as a choice.
    var correctableFields: [DataCategory] { get }
}

/// Erasing the subject's data by each field's strategy, restricting what retention keeps.
public protocol PersonalDataErasure: PersonalDataService {
    /// Erases the subject's data in scope by each field's strategy; data under a running
    /// retention period is restricted instead. Exactly once per request, even when retried.
    func erase(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport
    /// Erases, by each field's strategy, the rows whose retention restriction has lifted by
    /// `time` (and rows kept only because retained rows referred to them, once those are gone),
    /// removing their restrictions; how many rows of each table were erased.
    func eraseLiftedRestrictions(at time: Date) async throws -> [String: Int]
    /// Erases as ``erase(_:scope:request:at:)`` does and marks the account cancelled where the
    /// data map declares how, in the same transaction (clause 5.5).
    func cancelAccount(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport
}

/// The consent registry the data map declares (`consent_registry:` under a source).
public protocol ConsentRegistry: PersonalDataService {
    /// Records that the subject withdrew consent for `purposes` (nil: every purpose). Earlier
    /// processing is left as it was (clause 5.3, withdrawal). Exactly once per request.
    func withdrawConsent(_ identities: [SubjectIdentity], purposes: [String]?, request: RequestID, at time: Date) async throws
        -> ConsentWithdrawal
}

/// Data scoped by product (`product_column:` on a mapped table).
public protocol ProductScope: PersonalDataService {
    /// Every subject holding data of a product, each with the identities the map links it by.
    func subjects(withProduct product: String) async throws -> [[SubjectIdentity]]
    /// Records that collection for a product stops at a date, where host applications read it.
    func recordDiscontinuation(product: String, collectionStopsAt: Date, request: RequestID) async throws
}

/// Limits on processing recorded on each of the subject's rows, in a table the host
/// application reads before it processes a row (`rightskit_processing_limits`): restriction of
/// processing (GDPR Art. 18), an opt-out of sale or sharing (CCPA §1798.120).
public protocol ProcessingLimits: PersonalDataService {
    /// Records `limit` on every row of the subject; exactly once per request, even when retried.
    func limitProcessing(_ identities: [SubjectIdentity], _ limit: ProcessingLimit, request: RequestID, at time: Date) async throws
        -> ProcessingLimitReport
    /// The limits recorded on one row, as the host application reads them.
    func processingLimits(source: String, table: String, rowKey: String) async throws -> [ProcessingLimit]
}

extension PersonalDataService {
    /// The named capability in the connector's own type, or an error saying what the deployment
    /// lacks: modules call it at construction, so a missing capability fails at load.
    public func capability<Connector>(_ capability: DataCapability, as type: Connector.Type) throws(MissingDataCapability) -> Connector {
        guard capabilities.contains(capability), let connector = self as? Connector else {
            throw MissingDataCapability(capability: capability, reason: missingReason(capability))
        }
        return connector
    }

    public func missingReason(_ capability: DataCapability) -> String {
        "the deployment's data connector (\(type(of: self))) does not offer \(capability.meaning)"
    }
}

extension PersonalDataErasure {
    /// Erasure alone, for a service that keeps no account state.
    public func cancelAccount(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws
        -> ErasureReport
    {
        try await erase(identities, scope: scope, request: request, at: time)
    }

    /// Nothing restricted, for a service that keeps no restrictions.
    public func eraseLiftedRestrictions(at time: Date) async throws -> [String: Int] { [:] }
}

extension PersonalDataService {
    public func identity(ofKind kind: String, where matches: @escaping @Sendable (String) -> Bool) async throws -> SubjectIdentity? { nil }
}

extension PersonalDataService {
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
