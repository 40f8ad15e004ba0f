public import RightsKernel

/// The five circumstances of clause 5.3 (PIPL Art. 47) in which a subject may ask for erasure.
public enum ErasureGround: String, Sendable, CaseIterable, Codable, SettingToken {
    /// (1) The purpose has been achieved, cannot be achieved, or the data is no longer necessary.
    case purposeAchieved = "purpose-achieved"
    /// (2) The product or service has stopped, or the retention period has expired.
    case serviceEnded = "service-ended"
    /// (3) The subject withdrew consent.
    case consentWithdrawn = "consent-withdrawn"
    /// (4) Processing violated laws, regulations or the agreement with the subject.
    case unlawfulProcessing = "unlawful-processing"
    /// (5) Other circumstances prescribed by laws and administrative regulations.
    case otherLaw = "other-law"

    /// The sentence shown to the subject.
    public var description: String {
        switch self {
        case .purposeAchieved: "the purpose of processing was achieved, cannot be achieved or no longer needs the data"
        case .serviceEnded: "the product or service stopped, or the retention period expired"
        case .consentWithdrawn: "you withdrew your consent"
        case .unlawfulProcessing: "the data was processed in violation of law or of our agreement with you"
        case .otherLaw: "another circumstance prescribed by law"
        }
    }
}
