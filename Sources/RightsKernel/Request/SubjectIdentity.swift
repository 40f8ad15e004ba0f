import Foundation

/// One identity of a subject, such as an email address, a phone number or a user id.
///
/// Written `kind:value` on the command line (`email:li.wei@example.cn`). Raw values live in the
/// ledger only while a request is open; logs, errors and audit entries carry its fingerprint.
public struct SubjectIdentity: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The identity type (`email`, `phone`, `user_id`, OpenDSR's `controller_customer_id`, …).
    public var kind: String
    public var value: String

    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }

    /// Parses `kind:value`; nil when either side is empty.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let kind = String(text[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        guard !kind.isEmpty, !value.isEmpty else { return nil }
        self.init(kind: kind.lowercased(), value: value)
    }

    /// The value normalised for matching: emails are case-insensitive, phone numbers ignore spacing.
    public var normalisedValue: String {
        switch kind {
        case "email": value.lowercased()
        case "phone": value.filter { $0.isNumber || $0 == "+" }
        default: value
        }
    }

    /// The kind of a status callback's recipient: a client's address, not a person's.
    public static let callbackKind = "callback-url"

    /// Only the kind: an identity's description never prints its value.
    public var description: String { "\(kind):<redacted>" }
}
