/// Who files a request on the subject's behalf.
public enum RequesterRole: String, Codable, Sendable, CaseIterable {
    /// The person the data is about.
    case subject
    /// An authorised agent (CCPA §7063, LGPD Art. 18 §3).
    case agent
    /// The guardian of a minor.
    case guardian
    /// A close relative of a deceased subject (PIPL Art. 49, clause 5.9).
    case closeRelative = "close-relative"
    /// The organisation itself, for operator-initiated rights such as a discontinuation notice
    /// (clause 5.7).
    case `operator`
}
