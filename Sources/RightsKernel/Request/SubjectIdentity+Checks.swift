extension SubjectIdentity {
    /// The kinds that are themselves a way to reach the person: a code sent there is answered
    /// only by whoever controls it.
    public static let contactKinds: Set<String> = ["email", "phone"]

    /// Whether this identity is an address a message can reach (an email, a phone number).
    public var isContact: Bool { Self.contactKinds.contains(kind) }

    /// Whether a message can actually reach it: a contact that is a well-formed email address or
    /// phone number, not what erasure left in its column (an HMAC, a fixed text).
    public var isReachable: Bool { isContact && (try? checked(field: "contact")) != nil }

    /// The identity checked and normalised for its kind: an email lowercased and shaped like
    /// one, a phone number in E.164 (`+8613912345678`), any other kind a plain token. `field`
    /// names the input in the error, which never repeats the value.
    public func checked(field: String) throws(IntakeError) -> SubjectIdentity {
        try IntakeText.check(value, field: field, maxLength: 254)
        switch kind {
        case "email":
            let email = value.lowercased()
            guard Self.isEmail(email) else {
                throw IntakeError(field: field, "expected an email address such as li.wei@example.cn")
            }
            return SubjectIdentity(kind: kind, value: email)
        case "phone":
            let phone = value.filter { !" -().".contains($0) }
            let digits = phone.dropFirst()
            guard phone.first == "+", (7...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0"
            else {
                throw IntakeError(field: field, "expected a phone number in international form (E.164), such as +8613912345678")
            }
            return SubjectIdentity(kind: kind, value: phone)
        default:
            guard value.count <= 128, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._:@+-".contains($0)) }) else {
                throw IntakeError(field: field, "expected a \(kind) of at most 128 letters, digits and . _ : @ + -")
            }
            return self
        }
    }

    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].count) else { return false }
        let localAllowed = "!#$%&'*+/=?^_`{|}~.-"
        guard parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || localAllowed.contains($0)) }) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}

/// Checks on any text a requester supplies: no control, line-break or bidirectional-override
/// characters (they forge headers and hide text), and a size cap.
package enum IntakeText {
    package static func check(_ text: String, field: String, maxLength: Int) throws(IntakeError) {
        guard text.count <= maxLength, text.utf8.count <= maxLength * 4 else {
            throw IntakeError(field: field, "expected at most \(maxLength) characters")
        }
        for scalar in text.unicodeScalars where isRefused(scalar) {
            throw IntakeError(
                field: field,
                "contains a control, line-break or bidirectional character (U+\(String(scalar.value, radix: 16, uppercase: true)))")
        }
    }

    static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: return true
        case .format: return true  // bidi overrides and isolates, zero-width joiners, BOM
        default: return false
        }
    }
}
