/// The rules of the deployment's jurisdiction that the kernel applies to every request.
public struct JurisdictionPolicy: Sendable, Equatable {
    /// A label such as `CN-PIPL`, `EU-GDPR`, `US-CA-CCPA`, `BR-LGPD`.
    public var jurisdiction: String
    public var deadline: DeadlinePolicy
    /// Nil when the deployment sets no repetition limit.
    public var repetition: RepetitionPolicy?

    public init(jurisdiction: String, deadline: DeadlinePolicy, repetition: RepetitionPolicy? = nil) {
        self.jurisdiction = jurisdiction
        self.deadline = deadline
        self.repetition = repetition
    }
}
