public import Foundation

/// How a request arrived when an open standard carried it (an authorised agent's Data Rights
/// Protocol filing, a controller's OpenDSR request): which standard, which client filed it, the
/// client's own reference, and where the client wants to hear of each change.
public struct RequestChannel: Codable, Sendable, Equatable {
    /// The standard, as operators see it in the queue (`drp`, `opendsr`).
    public var standard: RequestStandard
    /// The agent or controller that filed, as the deployment declares it.
    public var client: String
    /// The client's own reference for the request (`agent-request-id`, `subject_request_id`).
    public var reference: String?
    /// Where each change of the request is posted, from the client's filing and within its
    /// allow-list; never personal data.
    public var callbacks: [URL]
    /// The client verified the subject itself and vouches for it (an OpenDSR controller, whose
    /// processor never meets the person): no code is sent, and the audit names who vouched.
    public var attestsIdentity: Bool

    public init(
        standard: RequestStandard, client: String, reference: String? = nil, callbacks: [URL] = [], attestsIdentity: Bool = false
    ) {
        self.standard = standard
        self.client = client
        self.reference = reference
        self.callbacks = callbacks
        self.attestsIdentity = attestsIdentity
    }

    enum CodingKeys: String, CodingKey { case standard, client, reference, callbacks, attestsIdentity }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        standard = try container.decode(RequestStandard.self, forKey: .standard)
        client = try container.decode(String.self, forKey: .client)
        reference = try container.decodeIfPresent(String.self, forKey: .reference)
        callbacks = try container.decodeIfPresent([URL].self, forKey: .callbacks) ?? []
        attestsIdentity = try container.decodeIfPresent(Bool.self, forKey: .attestsIdentity) ?? false
    }
}

/// An open standard requests arrive through.
public struct RequestStandard: StoredText {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Consumer Reports' Data Rights Protocol, for authorised agents.
    public static let dataRightsProtocol = RequestStandard(rawValue: "drp")
    /// OpenDSR (formerly OpenGDPR), for controllers and processors.
    public static let openDSR = RequestStandard(rawValue: "opendsr")
}

/// What a status callback carries: the request as it stood at one change, for the standard's
/// own format to be written from when the callback is delivered.
public struct RequestStatusChange: Codable, Sendable, Equatable {
    public var request: RequestID
    public var channel: RequestChannel
    public var state: RequestState
    public var receivedAt: Date
    public var dueAt: Date
    public var extensionReason: String?
    /// The ground's code, when the request was denied.
    public var ground: String?
    public var changedAt: Date

    public init(_ request: RightRequest, channel: RequestChannel) {
        self.request = request.id
        self.channel = channel
        state = request.state
        receivedAt = request.receivedAt
        dueAt = request.dueAt
        extensionReason = request.extensionReason
        ground = request.outcome?.ground?.code
        changedAt = request.updatedAt
    }
}
