/// Why a request, or part of it, was not carried out. Every denial cites one.
///
/// The kernel's grounds cover clause 5.11 (exceptions) and 5.10 (handling refusals); modules
/// add their own as static constants in an extension.
public struct DenialGround: Hashable, Codable, Sendable, CustomStringConvertible {
    /// A stable code (`criminal-investigation`).
    public let code: String
    /// The sentence shown to the requester.
    public let explanation: String
    /// What the explanation names beyond the code (the law a retention period follows), so a
    /// catalogue's `ground.<code>` can say it in another language as `{{detail}}`.
    public let detail: String?

    public init(code: String, explanation: String, detail: String? = nil) {
        self.code = code
        self.explanation = explanation
        self.detail = detail
    }

    public var description: String { code }

    // Clause 5.11: exceptions to responses.
    public static let nationalSecurity = DenialGround(
        code: "national-security", explanation: "Directly related to national security or national defence security")
    public static let publicSafetyOrHealth = DenialGround(
        code: "public-safety-health", explanation: "Directly related to public safety, public health or major public interests")
    public static let criminalInvestigation = DenialGround(
        code: "criminal-investigation",
        explanation: "Directly related to criminal investigation, prosecution, trial or execution of judgment")
    public static let abuseOfRights = DenialGround(
        code: "abuse-of-rights", explanation: "There is sufficient evidence of subjective malice or abuse of rights")
    public static let seriousHarmToOthers = DenialGround(
        code: "serious-harm", explanation: "Responding would seriously harm the legitimate rights and interests of the subject or others")
    public static let tradeSecret = DenialGround(code: "trade-secret", explanation: "Involves trade secrets")
    public static let otherLaw = DenialGround(code: "other-law", explanation: "Laws or administrative regulations provide otherwise")

    // Clause 5.10: refusals of the request itself.
    public static let gratuitousRepetition = DenialGround(
        code: "gratuitous-repetition", explanation: "Repeated requests beyond the reasonable limit")
    public static let excessiveTechnicalMeans = DenialGround(
        code: "excessive-technical-means", explanation: "Would require developing new systems or fundamentally changing existing practice")
    public static let riskToOthers = DenialGround(
        code: "risk-to-others", explanation: "Poses risks to the legitimate rights and interests of others")
    public static let impractical = DenialGround(
        code: "impractical", explanation: "Very impractical, for example information stored on backup tapes")

    /// GDPR Art. 12(5): an operator's finding, never a count.
    public static let manifestlyUnfounded = DenialGround(
        code: "manifestly-unfounded",
        explanation: "The request is manifestly unfounded or excessive, in particular because of its repetitive character")

    // Identity.
    public static let identityNotVerified = DenialGround(
        code: "identity-not-verified", explanation: "The requester's identity could not be verified")

    /// The grounds of clause 5.11, which holds and reviewers cite.
    public static let exceptionGrounds: [DenialGround] = [
        .nationalSecurity, .publicSafetyOrHealth, .criminalInvestigation, .abuseOfRights,
        .seriousHarmToOthers, .tradeSecret, .otherLaw,
    ]

    /// Every ground the kernel knows, for parsing operator input.
    public static let kernelGrounds: [DenialGround] =
        exceptionGrounds + [
            .gratuitousRepetition, .excessiveTechnicalMeans, .riskToOthers, .impractical, .manifestlyUnfounded, .identityNotVerified,
        ]

    /// The kernel ground with `code`, if any.
    public static func kernel(_ code: String) -> DenialGround? {
        kernelGrounds.first { $0.code == code }
    }
}
