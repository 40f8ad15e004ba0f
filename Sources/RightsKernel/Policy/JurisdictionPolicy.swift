/// The rules of the deployment's jurisdiction that the kernel applies to every request.
public struct JurisdictionPolicy: Sendable, Equatable {
    /// A label such as `CN-PIPL`, `EU-GDPR`, `US-CA-CCPA`, `BR-LGPD`.
    public var jurisdiction: String
    public var deadline: DeadlinePolicy
    /// Nil when the deployment sets no repetition limit.
    public var repetition: RepetitionPolicy?
    /// Receipt acknowledged to the requester (CCPA Regulations §7021: within 10 business days).
    public var acknowledgement: ReceiptAcknowledgement?
    /// Rights answered at once in a simplified form before the complete answer (LGPD Art. 19 I).
    public var simplifiedAnswer: SimplifiedAnswer?

    public init(jurisdiction: String, deadline: DeadlinePolicy, repetition: RepetitionPolicy? = nil) {
        self.jurisdiction = jurisdiction
        self.deadline = deadline
        self.repetition = repetition
    }
}

/// A confirmation of receipt the law requires within a number of business days (CCPA
/// Regulations §7021(a): 10). RightsKit sends it with the request's receipt, in the same commit,
/// so it is never late; the audit entry records the date it was due by.
public struct ReceiptAcknowledgement: Sendable, Equatable {
    /// Business days after receipt by which the acknowledgement is due.
    public var businessDays: Int

    public init(businessDays: Int) { self.businessDays = businessDays }
}

/// A simplified answer given at once, the complete one following within the deadline (LGPD
/// Art. 19: "I - em formato simplificado, imediatamente"): as soon as the requester's identity
/// is verified, whether data is held about the subject and in which categories (those under a
/// hold left out; none under a subject hold).
public struct SimplifiedAnswer: Sendable, Equatable {
    /// The rights answered this way (`access`).
    public var rights: Set<String>

    public init(rights: Set<String>) { self.rights = rights }
}
