public import Foundation

/// Where a subject's data lies: rows per table and the categories held.
public struct SubjectFootprint: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        public var source: String
        public var table: String
        public var rows: Int
        public var categories: [DataCategory]
        public init(source: String, table: String, rows: Int, categories: [DataCategory]) {
            self.source = source
            self.table = table
            self.rows = rows
            self.categories = categories
        }
    }

    public var tables: [Table]
    public init(tables: [Table]) { self.tables = tables }

    /// Categories of every table where the subject has at least one row.
    public var categories: Set<DataCategory> { Set(tables.filter { $0.rows > 0 }.flatMap(\.categories)) }
    public var rows: Int { tables.reduce(0) { $0 + $1.rows } }
}

/// One row's values of one category, as an export streams them.
public struct ExportRecord: Sendable, Equatable {
    public var category: DataCategory
    public var source: String
    public var table: String
    /// The row's key in its table.
    public var rowKey: String
    /// Column → value; nil for NULL or a value whose key was destroyed.
    public var values: [(column: String, value: String?)]

    public init(category: DataCategory, source: String, table: String, rowKey: String, values: [(column: String, value: String?)]) {
        self.category = category
        self.source = source
        self.table = table
        self.rowKey = rowKey
        self.values = values
    }

    public static func == (lhs: ExportRecord, rhs: ExportRecord) -> Bool {
        lhs.category == rhs.category && lhs.source == rhs.source && lhs.table == rhs.table && lhs.rowKey == rhs.rowKey
            && lhs.values.map(\.column) == rhs.values.map(\.column) && lhs.values.map(\.value) == rhs.values.map(\.value)
    }
}

/// Receives an export record by record, in category then table order.
public protocol ExportSink: AnyObject {
    func write(_ record: ExportRecord) throws
}

/// What an export produced: record counts per category.
public struct ExportSummary: Codable, Sendable, Equatable {
    public var records: [String: Int]
    public init(records: [String: Int] = [:]) { self.records = records }
    public var total: Int { records.values.reduce(0, +) }
}

/// The result of a correction.
public enum CorrectionResult: Sendable, Equatable {
    /// The fields changed; values appear only as fingerprints.
    case corrected([FieldChange])
    /// The field cannot be corrected here; `correctAt` says where (nil: nowhere).
    case refused(field: String, correctAt: String?)
    /// No mapped field matches the name.
    case unknownField(String)
    /// The subject has no row holding the field.
    case notHeld
    /// The name matches several fields; the request must name one of these.
    case ambiguous([String])
    /// The field's category is outside the request's scope (under a hold).
    case outOfScope(DataCategory)
    /// The value is not one the field's category can hold; `reason` says what is expected.
    case invalidValue(field: String, reason: String)
    /// The field is an identity column and the value already names another subject.
    case identityInUse(field: String)
}

/// One field changed by a correction, proven by fingerprints of the old and new values.
public struct FieldChange: Codable, Sendable, Equatable {
    public var source: String
    public var table: String
    public var column: String
    public var category: DataCategory
    public var rows: Int
    public var oldFingerprints: [String]
    public var newFingerprint: String
    /// Whether the field was empty before (a supplement rather than a correction).
    public var supplemented: Bool

    public init(
        source: String, table: String, column: String, category: DataCategory, rows: Int, oldFingerprints: [String], newFingerprint: String,
        supplemented: Bool
    ) {
        self.source = source
        self.table = table
        self.column = column
        self.category = category
        self.rows = rows
        self.oldFingerprints = oldFingerprints
        self.newFingerprint = newFingerprint
        self.supplemented = supplemented
    }
}

/// What an erasure did: fields erased by strategy, rows deleted, data restricted instead.
public struct ErasureReport: Codable, Sendable, Equatable {
    public struct Erased: Codable, Sendable, Equatable {
        public var source: String
        public var table: String
        public var column: String
        public var category: DataCategory
        public var strategy: String
        public var rows: Int

        public init(source: String, table: String, column: String, category: DataCategory, strategy: String, rows: Int) {
            self.source = source
            self.table = table
            self.column = column
            self.category = category
            self.strategy = strategy
            self.rows = rows
        }
    }

    public struct Restricted: Codable, Sendable, Equatable {
        public var source: String
        public var table: String
        public var column: String
        public var category: DataCategory
        public var basis: String
        public var rows: Int
        /// When the last restriction of this field lifts; nil when indefinite.
        public var until: Date?

        public init(source: String, table: String, column: String, category: DataCategory, basis: String, rows: Int, until: Date?) {
            self.source = source
            self.table = table
            self.column = column
            self.category = category
            self.basis = basis
            self.rows = rows
            self.until = until
        }
    }

    public var erased: [Erased]
    public var deletedRows: [String: Int]
    public var restricted: [Restricted]

    public init(erased: [Erased] = [], deletedRows: [String: Int] = [:], restricted: [Restricted] = []) {
        self.erased = erased
        self.deletedRows = deletedRows
        self.restricted = restricted
    }

    public var isEmpty: Bool { erased.isEmpty && deletedRows.isEmpty && restricted.isEmpty }

    /// Merges the report of another source.
    public mutating func merge(_ other: ErasureReport) {
        erased += other.erased
        restricted += other.restricted
        deletedRows.merge(other.deletedRows, uniquingKeysWith: +)
    }
}

/// What a consent withdrawal changed in the registry.
public struct ConsentWithdrawal: Codable, Sendable, Equatable {
    /// Purposes withdrawn now.
    public var withdrawn: [String]
    /// Purposes that were already withdrawn before.
    public var alreadyWithdrawn: [String]

    public init(withdrawn: [String], alreadyWithdrawn: [String]) {
        self.withdrawn = withdrawn
        self.alreadyWithdrawn = alreadyWithdrawn
    }
}

/// The data service of a deployment without a data map: it holds nothing, so every operation
/// trivially succeeds and it offers every capability (or those given, in tests).
public struct NoPersonalData: PersonalDataCorrection, PersonalDataErasure, ConsentRegistry, ProductScope, ProcessingLimits {
    public let capabilities: Set<DataCapability>
    public init(capabilities: Set<DataCapability> = Set(DataCapability.allCases)) { self.capabilities = capabilities }
    public func footprint(of identities: [SubjectIdentity], scope: DataScope) async throws -> SubjectFootprint {
        SubjectFootprint(tables: [])
    }
    public func export(_ identities: [SubjectIdentity], scope: DataScope, into sink: any ExportSink) async throws -> ExportSummary {
        ExportSummary()
    }
    public func correct(_ identities: [SubjectIdentity], field: String, value: String, scope: DataScope, request: RequestID) async throws
        -> CorrectionResult
    { .unknownField(field) }
    public var correctableFields: [DataCategory] { [] }
    public func erase(_ identities: [SubjectIdentity], scope: DataScope, request: RequestID, at time: Date) async throws -> ErasureReport {
        ErasureReport()
    }
    public func fingerprint(_ value: String) -> String { "" }
    public func contacts(of identities: [SubjectIdentity]) async throws -> [SubjectIdentity] { [] }
    public func withdrawConsent(_ identities: [SubjectIdentity], purposes: [String]?, request: RequestID, at time: Date) async throws
        -> ConsentWithdrawal
    { ConsentWithdrawal(withdrawn: [], alreadyWithdrawn: []) }
    public func subjects(withProduct product: String) async throws -> [[SubjectIdentity]] { [] }
    public func recordDiscontinuation(product: String, collectionStopsAt: Date, request: RequestID) async throws {}
    public func limitProcessing(_ identities: [SubjectIdentity], _ limit: ProcessingLimit, request: RequestID, at time: Date) async throws
        -> ProcessingLimitReport
    { ProcessingLimitReport() }
    public func processingLimits(source: String, table: String, rowKey: String) async throws -> [ProcessingLimit] { [] }
}
