import Foundation

/// What a value of a category must look like before a correction may write it: a corrected
/// email, phone or name is checked as the category requires, so a correction cannot write junk
/// into an identity (`1'); DROP TABLE accounts;--` as a phone). Categories without a rule take
/// any text intake already accepted (no control characters, within the size cap).
public enum CategoryValueRule {
    /// Why `value` cannot be a value of `category`, or nil when it can (once ``normalised(_:for:)``).
    public static func problem(with value: String, for category: DataCategory) -> String? {
        let value = normalised(value, for: category)
        if category.isWithin("user.contact.email") {
            return SubjectIdentity.isEmail(value) && value.count <= 254 ? nil : "expected an email address such as li.wei@example.cn"
        }
        if category.isWithin("user.contact.phone") {
            return isPhone(value) ? nil : "expected a phone number in E.164 form (+8613912345678) or a mainland mobile number (13912345678)"
        }
        if let last = category.name.split(separator: ".").last, personNames.contains(String(last)) {
            return isName(value) ? nil : "expected a name of 1 to 100 letters, spaces and the marks . ' - ·"
        }
        return nil
    }

    /// The value as it is stored, so locating it later finds it: an email lowercased, a phone
    /// without the spaces, dashes, dots and brackets people type, a mainland mobile number with
    /// its +86; others as given, without surrounding spaces.
    public static func normalised(_ value: String, for category: DataCategory) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if category.isWithin("user.contact.email") { return trimmed.lowercased() }
        if category.isWithin("user.contact.phone") {
            let compact = trimmed.filter { !" -.()".contains($0) }
            return compact.count == 11 && compact.hasPrefix("1") && compact.allSatisfy(\.isNumber) ? "+86" + compact : compact
        }
        return trimmed
    }

    /// The last parts of the category names that hold a person's name (a nickname or user name
    /// may be anything a product allows).
    static let personNames: Set<String> = ["name", "real_name", "full_name", "given_name", "family_name"]

    /// E.164 as an identity is checked (``SubjectIdentity/checked(field:)``), with at least 8
    /// digits; a mainland mobile number (`+86 1[3-9]…`) has 11 digits after the country code.
    static func isPhone(_ value: String) -> Bool {
        guard let phone = try? SubjectIdentity(kind: "phone", value: value).checked(field: "value"), phone.value == value,
            value.count >= 9
        else { return false }
        let digits = value.dropFirst()
        guard digits.hasPrefix("861"), let next = digits.dropFirst(3).first, "3456789".contains(next) else { return true }
        return digits.count == 13
    }

    /// Letters of any script with their combining marks, spaces and the few marks names use.
    static func isName(_ value: String) -> Bool {
        guard (1...100).contains(value.count), value.first?.isWhitespace == false, value.last?.isWhitespace == false else { return false }
        return value.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar.properties.generalCategory == .nonspacingMark || scalar == " "
                || ".'-·’".unicodeScalars.contains(scalar)
        }
    }
}
