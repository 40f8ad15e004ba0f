/// One thing a data connector can do with the organisation's data beyond reading it. A module
/// lists the ones it needs; a deployment whose connector lacks one is refused at load, at the
/// module's section, with what is missing.
public enum DataCapability: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// Finding and exporting the subject's data (``PersonalDataService``).
    case reading
    /// Correcting one field (``PersonalDataCorrection``).
    case correcting
    /// Erasing by strategy, restricting what retention keeps (``PersonalDataErasure``).
    case erasing
    /// Withdrawing consent in the registry (``ConsentRegistry``).
    case consentRegistry = "consent-registry"
    /// Finding subjects by product and recording a discontinuation (``ProductScope``).
    case productScope = "product-scope"
    /// Recording limits on processing the host reads (``ProcessingLimits``).
    case processingLimits = "processing-limits"

    public var description: String { rawValue }

    /// What the capability is, for errors and `modules --describe`.
    public var meaning: String {
        switch self {
        case .reading: "reading the subject's data"
        case .correcting: "correcting a field of the subject's data"
        case .erasing: "erasing the subject's data by strategy"
        case .consentRegistry: "a consent registry"
        case .productScope: "data scoped by product"
        case .processingLimits: "limits on processing that the host application reads"
        }
    }
}

/// A module needs a capability the deployment's data connector does not offer.
public struct MissingDataCapability: Error, Sendable, CustomStringConvertible {
    public let capability: DataCapability
    /// What the deployment would have to declare or use to offer it.
    public let reason: String

    public init(capability: DataCapability, reason: String) {
        self.capability = capability
        self.reason = reason
    }

    public var description: String { "needs \(capability.meaning) (\(capability.rawValue)), but \(reason)" }
}

/// A limit on processing the subject's data, recorded on each of their rows for the host
/// application to honour before it processes a row.
public struct ProcessingLimit: Codable, Sendable, Equatable {
    /// The purposes processing stops for; nil for every purpose but storage (GDPR Art. 18(2)).
    public var purposes: [String]?
    /// The legal basis recorded with the limit (`GDPR Art. 18(1)(a)`), which the host may show.
    public var basis: String

    public init(purposes: [String]?, basis: String) {
        self.purposes = purposes
        self.basis = basis
    }
}

/// What recording a processing limit did.
public struct ProcessingLimitReport: Codable, Sendable, Equatable {
    /// The rows limited, per `source.table`.
    public var rows: [String: Int]

    public init(rows: [String: Int] = [:]) { self.rows = rows }

    /// Merges the report of another source.
    public mutating func merge(_ other: ProcessingLimitReport) {
        rows.merge(other.rows, uniquingKeysWith: +)
    }
}
