/// What a message to a person is for, spelt once: the outbox, the delivery transports and the
/// API filter by it. Stored as its text, so messages queued before read back the same.
public struct MessageKind: StoredText {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A one-time code that confirms the person's identity.
    public static let verificationCode = MessageKind(rawValue: "verification-code")
    /// Receipt of the request and the date it will be answered by (CCPA §7021).
    public static let acknowledgement = MessageKind(rawValue: "acknowledgement")
    /// The request's outcome: completed, partly completed or denied, with its ground.
    public static let outcome = MessageKind(rawValue: "outcome")
    /// A fee quoted for a repeated request, to accept or decline.
    public static let feeQuote = MessageKind(rawValue: "fee-quote")
    /// The deadline was extended, with the reason.
    public static let `extension` = MessageKind(rawValue: "extension")
    /// A first answer once the identity is confirmed (LGPD Art. 19 I).
    public static let simplifiedAnswer = MessageKind(rawValue: "simplified-answer")
    /// Too many wrong codes were answered for the person: no code is accepted for a while, and
    /// someone may be trying to act in their name.
    public static let guessingAlert = MessageKind(rawValue: "guessing-alert")
    /// A product or service is to be discontinued.
    public static let discontinuation = MessageKind(rawValue: "discontinuation")
    /// A change of a request posted to the client that filed it through an open standard
    /// (``RequestChannel``): to a machine, never a person.
    public static let statusCallback = MessageKind(rawValue: "status-callback")
}
