public import Foundation

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
///     struct Settings: ModuleSettings { … }          // its keys, typed, with defaults
///     init(settings: Settings, services: Services) throws { … }
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
    /// What the module does with the organisation's data beyond reading it; a deployment whose
    /// data connector lacks one is refused at load, at the module's section.
    static var dataCapabilities: Set<DataCapability> { get }
    /// The denial grounds particular to this right, which operators may cite (on the CLI and
    /// the API) besides the kernel's.
    static var denialGrounds: [DenialGround] { get }
    /// The module's wording in each language it speaks (`Texts/<language>.json` in its
    /// resources, read with `TextCatalogue(resourcesIn: .module)`): `name`, `title` and
    /// `explanation` for the privacy centre, `param.<name>` and `choice.<name>.<value>` for its
    /// form, `notice` (what a person reads before filing and with the code, such as a backup
    /// warning), `ground.<code>` for its grounds and whatever its outcomes say. A deployment
    /// rewords any of them under the right's `texts`.
    static var texts: TextCatalogue { get }
    /// The identity kinds a request's subject may be named by; nil for the kinds the data map
    /// declares (a discontinuation names a `product` instead).
    static var subjectKinds: Set<String>? { get }

    /// The module's own settings, decoded from its section of the deployment.
    associatedtype Settings: ModuleSettings = NoModuleSettings

    /// Builds the module from its settings; mistakes the settings type cannot catch alone throw
    /// here, at load time, never at the first request.
    init(settings: Settings, services: Services) throws

    /// Checks the module-specific parameters of a new request before it is recorded.
    func validate(_ request: RightRequest) throws(IntakeError)

    /// The values `parameter` accepts in this deployment when they are a short list (its erasure
    /// grounds, its consent purposes, a transfer's recipients), so a form offers them; nil for a
    /// free value.
    func choices(for parameter: String) -> [String]?

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
    public static var dataCapabilities: Set<DataCapability> { [.reading] }
    public static var denialGrounds: [DenialGround] { [] }
    public static var texts: TextCatalogue { TextCatalogue() }
    public func validate(_ request: RightRequest) throws(IntakeError) {}
    public func choices(for parameter: String) -> [String]? { nil }
    public func needsReview(_ request: RightRequest) -> Bool { false }
    public func dueDate(for request: RightRequest, policyDue: Date) -> Date { policyDue }
}

extension RightModule {
    /// Every key of the module's section: the kernel's two, then the module's own.
    public static var settingKeys: [SettingDescription] {
        [
            SettingDescription(
                name: "verification", type: VerificationLevel.settingType, defaultValue: defaultVerification.rawValue,
                meaning: "the identity verification a request needs"),
            SettingDescription(
                name: "review", type: Bool.settingType, defaultValue: "false",
                meaning: "true sends every request to an operator before it is carried out"),
            SettingDescription(
                name: "texts", type: "mapping", defaultValue: "the module's own",
                meaning: "the deployment's wording of the right's texts, per language (en, zh-Hans)"),
        ] + Settings.keys.map { SettingDescription(name: $0.name, type: $0.type, defaultValue: $0.defaultValue, meaning: $0.meaning) }
    }

    /// Builds the module from its section: unknown keys first (each with the closest known
    /// key), then the capabilities its data connector must offer, then the settings.
    static func load(from section: ConfigSection, services: Services) throws -> any RightModule {
        try section.rejectUnknownKeys(known: settingKeys.map(\.name))
        for capability in dataCapabilities.sorted(by: { $0.rawValue < $1.rawValue })
        where !services.data.capabilities.contains(capability) {
            let reason = MissingDataCapability(capability: capability, reason: services.data.missingReason(capability))
            throw section.location.error("the \(identifier) right \(reason)")
        }
        let settings = try Settings.decode(section)
        return try Self(settings: settings, services: services)
    }
}
