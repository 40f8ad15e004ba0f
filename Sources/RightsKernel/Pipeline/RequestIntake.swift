/// A new request as a requester files it, before the kernel accepts it.
public struct RequestIntake: Sendable, Equatable {
    public var right: String
    public var subject: SubjectIdentity
    public var requester: RequesterRole
    /// Where codes and the outcome go when the requester is not the subject; the subject's own
    /// identity otherwise.
    public var contact: SubjectIdentity?
    /// A reference for a non-subject requester (an agent id, a proof-of-relationship document id).
    public var requesterReference: String?
    public var parameters: [String: String]
    /// The language the subject reads: every message they receive is written in it.
    public var language: TextLanguage?
    /// The open standard that carried the request in, if one did.
    public var channel: RequestChannel?
    /// The id the request is to have, when the client chose it (OpenDSR's `subject_request_id`):
    /// a second filing with the same id is refused, so a retried filing is recorded once.
    public var id: RequestID?

    public init(
        right: String,
        subject: SubjectIdentity,
        requester: RequesterRole = .subject,
        contact: SubjectIdentity? = nil,
        requesterReference: String? = nil,
        parameters: [String: String] = [:],
        language: TextLanguage? = nil,
        channel: RequestChannel? = nil
    ) {
        self.right = right
        self.subject = subject
        self.requester = requester
        self.contact = contact
        self.requesterReference = requesterReference
        self.parameters = parameters
        self.language = language
        self.channel = channel
    }
}
