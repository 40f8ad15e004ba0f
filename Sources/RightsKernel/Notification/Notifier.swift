/// Delivers messages to subjects and requesters (verification codes, outcomes, notices).
public protocol Notifier: Sendable {
    func send(_ message: OutboundMessage) async throws
}

/// One message to deliver. The recipient is a contact identity; the body may hold a one-time
/// code, so it is never logged.
public struct OutboundMessage: Codable, Sendable, Equatable {
    /// What kind of message this is (`verification-code`, `outcome`, …), for filtering.
    public var kind: MessageKind
    public var recipient: SubjectIdentity
    public var title: String
    public var body: String
    public var request: RequestID?

    public init(kind: MessageKind, recipient: SubjectIdentity, title: String, body: String, request: RequestID?) {
        self.kind = kind
        self.recipient = recipient
        self.title = title
        self.body = body
        self.request = request
    }
}
