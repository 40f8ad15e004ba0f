/// The kernel's settings for one enabled right, read from its section before the module reads
/// the rest.
///
/// Keys: `verification` (`none`, `code`, `strong`; default the module's own), `review`
/// (`true` routes every request to an operator before it is carried out).
public struct RightSettings: Sendable, Equatable {
    public var verification: VerificationLevel
    public var alwaysReview: Bool

    public init(verification: VerificationLevel, alwaysReview: Bool = false) {
        self.verification = verification
        self.alwaysReview = alwaysReview
    }

    init(section: ConfigSection, module: any RightModule.Type) throws(ConfigError) {
        verification = try section.choice("verification", default: module.defaultVerification)
        alwaysReview = try section.bool("review", default: false)
    }
}
