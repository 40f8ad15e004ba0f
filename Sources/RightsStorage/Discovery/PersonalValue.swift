package import Foundation

/// What a sampled value is, by validators that check its form the way its issuer does (a
/// check digit, a checksum, an address family), not by a loose pattern.
package enum PersonalValue: String, Sendable, CaseIterable {
    case email
    case e164Phone
    case mainlandMobile
    case residentIdentityNumber
    case cardNumber
    case ipAddress
    case dateOfBirth

    /// The category a column of such values holds.
    package var category: String {
        switch self {
        case .email: "user.contact.email"
        case .e164Phone, .mainlandMobile: "user.contact.phone"
        case .residentIdentityNumber: "user.identity.government_id"
        case .cardNumber: "user.financial.card"
        case .ipAddress: "user.device.ip_address"
        case .dateOfBirth: "user.demographic.date_of_birth"
        }
    }

    /// How the reason names it ("email addresses").
    package var plural: String {
        switch self {
        case .email: "email addresses"
        case .e164Phone: "E.164 phone numbers"
        case .mainlandMobile: "mainland mobile numbers"
        case .residentIdentityNumber: "resident identity numbers (check digit valid)"
        case .cardNumber: "card numbers (Luhn valid)"
        case .ipAddress: "IP addresses"
        case .dateOfBirth: "dates of birth"
        }
    }

    /// The kind a whole value is, if any. `today` bounds a date of birth.
    package static func kind(of text: String, today: Date = Date()) -> PersonalValue? {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, value.count <= 320 else { return nil }
        if isEmail(value) { return .email }
        if isResidentIdentityNumber(value) { return .residentIdentityNumber }
        if isMainlandMobile(value) { return .mainlandMobile }
        if isE164(value) { return .e164Phone }
        if isCardNumber(value) { return .cardNumber }
        if isIPAddress(value) { return .ipAddress }
        if isDateOfBirth(value, today: today) { return .dateOfBirth }
        return nil
    }

    /// Kinds found inside free text or a JSON document: every token checked on its own.
    package static func kinds(within text: String, today: Date = Date()) -> Set<PersonalValue> {
        if let document = jsonDocument(text) {
            var found: Set<PersonalValue> = []
            for leaf in document { found.formUnion(kinds(within: leaf, today: today)) }
            return found
        }
        var found: Set<PersonalValue> = []
        let separators = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ",;:()<>[]{}\"'，。；：（）"))
        for token in text.components(separatedBy: separators) where token.count >= 6 {
            let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: ".!?"))
            // A date inside prose is not a date of birth.
            if let kind = kind(of: trimmed, today: today), kind != .dateOfBirth { found.insert(kind) }
        }
        return found
    }

    /// The string leaves of a JSON object or array, or nil when the text is not one.
    package static func jsonDocument(_ text: String) -> [String]? {
        guard let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[",
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        else { return nil }
        var leaves: [String] = []
        func walk(_ value: Any) {
            if let text = value as? String {
                leaves.append(text)
            } else if let number = value as? NSNumber, !(value is Bool) {
                leaves.append(number.stringValue)
            } else if let array = value as? [Any] {
                array.forEach(walk)
            } else if let object = value as? [String: Any] {
                object.values.forEach(walk)
            }
        }
        walk(object)
        return leaves
    }

    // MARK: Validators

    /// RFC 5321's shape: a dot-atom local part, a domain of labels with a letter top level.
    package static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, !local.isEmpty, local.count <= 64, domain.count <= 253
        else { return false }
        let localAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")
        guard local.unicodeScalars.allSatisfy(localAllowed.contains), !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard !label.isEmpty, label.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-"),
                label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return false }
        }
        return labels.last.map { $0.count >= 2 && $0.allSatisfy(\.isLetter) } ?? false
    }

    /// `+` and 8 to 15 digits, the country code not starting with 0 (ITU-T E.164); spaces and
    /// hyphens between digit groups allowed.
    package static func isE164(_ value: String) -> Bool {
        guard value.hasPrefix("+") else { return false }
        let rest = value.dropFirst().filter { $0 != " " && $0 != "-" }
        guard rest.count >= 8, rest.count <= 15, rest.allSatisfy({ $0.isASCII && $0.isNumber }), rest.first != "0" else { return false }
        return value.dropFirst().allSatisfy { ($0.isASCII && $0.isNumber) || $0 == " " || $0 == "-" }
    }

    /// A mainland China mobile number: 11 digits, `1` then `3`–`9`, optionally after `+86` or `86`.
    package static func isMainlandMobile(_ value: String) -> Bool {
        var digits = Substring(value.filter { $0 != " " && $0 != "-" })
        if digits.hasPrefix("+86") {
            digits = digits.dropFirst(3)
        } else if digits.count == 13, digits.hasPrefix("86") {
            digits = digits.dropFirst(2)
        }
        guard digits.count == 11, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first == "1" else { return false }
        let second = digits[digits.index(after: digits.startIndex)]
        return ("3"..."9").contains(second)
    }

    /// A resident identity number (GB 11643-1999): 17 digits, a check character by ISO 7064
    /// MOD 11-2, and a real date of birth in positions 7–14.
    package static func isResidentIdentityNumber(_ value: String) -> Bool {
        let characters = Array(value.uppercased())
        guard characters.count == 18, characters[0..<17].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for index in 0..<17 { sum += (characters[index].wholeNumberValue ?? 0) * weights[index] }
        let checks: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]
        guard characters[17] == checks[sum % 11] else { return false }
        let birth = String(characters[6..<14])
        guard let year = Int(birth.prefix(4)), let month = Int(birth.dropFirst(4).prefix(2)), let day = Int(birth.suffix(2)) else {
            return false
        }
        return (1900...2100).contains(year) && (1...12).contains(month) && (1...31).contains(day)
    }

    /// A payment card number: 13 to 19 digits (spaces or hyphens between groups), a known
    /// leading digit, and a valid Luhn check.
    package static func isCardNumber(_ value: String) -> Bool {
        let digits = value.filter { $0 != " " && $0 != "-" }
        guard digits.count >= 13, digits.count <= 19, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let first = digits.first, "23456".contains(first), Set(digits).count > 1
        else { return false }
        guard value.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == " " || $0 == "-" }) else { return false }
        var sum = 0
        for (offset, character) in digits.reversed().enumerated() {
            var digit = character.wholeNumberValue ?? 0
            if offset % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }

    /// An IPv4 or IPv6 address, as `inet_pton` reads it.
    package static func isIPAddress(_ value: String) -> Bool {
        guard value.count >= 3, value.count <= 45, value.contains(".") || value.contains(":") else { return false }
        var v4 = in_addr()
        var v6 = in6_addr()
        return value.withCString { inet_pton(AF_INET, $0, &v4) == 1 || inet_pton(AF_INET6, $0, &v6) == 1 }
    }

    /// A calendar date (`YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD`) a living person could be born
    /// on: between 120 years and 10 years before `today`.
    package static func isDateOfBirth(_ value: String, today: Date) -> Bool {
        let digits = value.filter(\.isNumber)
        let shaped =
            (value.count == 10 && (value.dropFirst(4).first == "-" || value.dropFirst(4).first == "/"))
            || (value.count == 8 && digits.count == 8)
        guard shaped, digits.count == 8, let year = Int(digits.prefix(4)), let month = Int(digits.dropFirst(4).prefix(2)),
            let day = Int(digits.suffix(2)), (1...12).contains(month)
        else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: date) == day
        else { return false }
        let thisYear = calendar.component(.year, from: today)
        return (thisYear - 120...thisYear - 10).contains(year)
    }
}
