import Foundation

/// The one protocol every right module conforms to.
///
/// A module holds only what is particular to its right. The kernel runs the common pipeline
/// (intake, deadline, identity verification, exception checks, audit, notification) around
/// ``handle(_:context:)``, so a module never repeats it.
///
/// ```swift
/// struct ExplanationRight: RightModule {
///     static let identifier = "explanation"
///     static let summary = "Explains the processing rules that apply to the subject"
///     init(configuration: ConfigSection, services: Services) throws { … }
///     func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome { … }
/// }
/// ```
public protocol RightModule: Sendable {
    /// The identifier used in `config.yaml` under `rights:` and on the CLI (`"erasure"`).
    static var identifier: String { get }
    /// One line describing the right, shown by `rightskit modules`.
    static var summary: String { get }
    /// The verification level required when the deployment does not set one.
    static var defaultVerification: VerificationLevel { get }
    /// Who may file this right. Close relatives file only rights that accept them (clause 5.9).
    static var acceptedRequesters: Set<RequesterRole> { get }
    /// The parameters a request may carry; intake refuses any other, naming these.
    static var parameters: [RequestParameter] { get }
    /// The identity kinds a request's subject may be named by; nil for the kinds the data map
    /// declares (a discontinuation names a `product` instead).
    static var subjectKinds: Set<String>? { get }

    /// Builds the module from its own section of the deployment; configuration mistakes throw
    /// ``ConfigError`` here, at load time, never at the first request.
    init(configuration: ConfigSection, services: Services) throws

    /// Checks the module-specific parameters of a new request before it is recorded.
    func validate(_ request: RightRequest) throws(IntakeError)

    /// Text added to the verification message, so the requester reads it before confirming
    /// (the backup warning of account cancellation, clause 5.5).
    func verificationNotice(for request: RightRequest) -> String?

    /// The date the response is due, given the one the jurisdiction's policy sets: a right whose
    /// work waits for a date (a discontinuation erases on the product's end date) is not overdue
    /// before that date.
    func dueDate(for request: RightRequest, policyDue: Date) -> Date

    /// Whether this request needs an operator's review before it is carried out (a relative's
    /// proof of death and relationship, clause 5.9).
    func needsReview(_ request: RightRequest) -> Bool

    /// Carries out a verified request that passed the exception checks.
    func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome
}

extension RightModule {
    public static var defaultVerification: VerificationLevel { .code }
    public static var acceptedRequesters: Set<RequesterRole> { [.subject, .agent, .guardian] }
    public static var parameters: [RequestParameter] { [] }
    public static var subjectKinds: Set<String>? { nil }
    public func validate(_ request: RightRequest) throws(IntakeError) {}
    public func verificationNotice(for request: RightRequest) -> String? { nil }
    public func needsReview(_ request: RightRequest) -> Bool { false }
    public func dueDate(for request: RightRequest, policyDue: Date) -> Date { policyDue }
}
