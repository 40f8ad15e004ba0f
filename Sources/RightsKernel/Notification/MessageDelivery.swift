import Foundation

/// Hands queued messages to the outside world (a mail relay, an SMS gateway). The outbox calls
/// it once per message, then keeps only the message's kind, time and a salted recipient hash.
public protocol MessageDelivery: Sendable {
    /// Delivers one message; `reference` is the outbox's id for it (stable across retries, so
    /// a transport can drop a duplicate after a crash between delivering and recording it).
    func deliver(_ message: OutboundMessage, reference: Int64) async throws
}

/// A development transport: each message becomes one file (`<reference>.txt`, 0600) in a
/// folder, for a local mail relay or a person to pick up.
public struct MailDropDelivery: MessageDelivery {
    public let folder: String

    public init(folder: String) {
        self.folder = folder
    }

    public func deliver(_ message: OutboundMessage, reference: Int64) async throws {
        let text = "To: \(message.recipient.kind):\(message.recipient.value)\nSubject: \(message.title)\n\n\(message.body)\n"
        try PrivateFiles.write(Data(text.utf8), to: URL(fileURLWithPath: folder).appendingPathComponent("\(reference).txt").path)
    }
}
