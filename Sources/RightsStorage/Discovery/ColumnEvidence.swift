package import Foundation

/// What a column's sampled values showed, as counts: no value is kept, so none can reach an
/// output, a log or an error.
package struct ColumnEvidence: Sendable {
    /// Values that were not NULL.
    package var sampled = 0
    /// Values that are wholly one personal kind.
    package var whole: [PersonalValue: Int] = [:]
    /// Values (free text, JSON documents) with a personal kind inside them.
    package var containing: [PersonalValue: Int] = [:]
    /// Values with any personal kind inside them.
    package var containingAny = 0
    /// Values that parse as a JSON object or array.
    package var documents = 0
    /// Values that look like a phone number written locally (`(555) 010-4477`).
    package var phoneLike = 0
    /// Values that are text with letters in them (not a number, a date or a flag).
    package var wordy = 0
    /// Values that are numbers.
    package var numeric = 0
    package var totalLength = 0
    /// Values that look like ciphertext or a digest: long, unbroken Base64 or hex.
    package var opaque = 0
    /// Up to four distinct numeric values: a column of flags has no more.
    package var numbers: Set<String> = []

    package init() {}

    /// Counts one sampled value, given as text.
    package mutating func count(_ value: String, today: Date) {
        sampled += 1
        totalLength += value.count
        if Double(value) != nil {
            numeric += 1
            if numbers.count < 4 { numbers.insert(value) }
        }
        if value.contains(where: \.isLetter) { wordy += 1 }
        if Self.looksLikePhone(value) { phoneLike += 1 }
        if let kind = PersonalValue.kind(of: value, today: today) {
            whole[kind, default: 0] += 1
            return
        }
        if Self.looksOpaque(value) { opaque += 1 }
        let document = value.count >= 2 && PersonalValue.jsonDocument(value) != nil
        if value.count >= 12 || document {
            if document { documents += 1 }
            let inside = PersonalValue.kinds(within: value, today: today)
            if !inside.isEmpty { containingAny += 1 }
            for kind in inside { containing[kind, default: 0] += 1 }
        }
    }

    /// The whole-value kind most values are, with its count.
    package var dominant: (kind: PersonalValue, count: Int)? {
        whole.max { $0.value < $1.value || ($0.value == $1.value && $0.key.rawValue > $1.key.rawValue) }.map { ($0.key, $0.value) }
    }

    /// The kind most often found inside values.
    package var dominantInside: (kind: PersonalValue, count: Int)? {
        containing.max { $0.value < $1.value || ($0.value == $1.value && $0.key.rawValue > $1.key.rawValue) }.map { ($0.key, $0.value) }
    }

    /// Whether every sampled value is one of at most three numbers (a flag, a count).
    package var flags: Bool { sampled > 0 && numeric == sampled && numbers.count <= 3 }

    package var averageLength: Double { sampled == 0 ? 0 : Double(totalLength) / Double(sampled) }

    /// Whether most values are unreadable here (encrypted or hashed).
    package var unreadable: Bool { sampled >= 3 && opaque * 5 >= sampled * 4 }

    /// 20 or more characters of Base64 or hex and nothing else.
    static func looksOpaque(_ value: String) -> Bool {
        value.count >= 20 && !value.contains(" ")
            && value.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "+/=_-:$.".unicodeScalars.contains($0))
            }
            && value.contains(where: \.isNumber) && value.contains(where: \.isLetter)
    }

    /// 7 to 15 digits with the punctuation people write phone numbers with.
    static func looksLikePhone(_ value: String) -> Bool {
        let digits = value.filter(\.isNumber).count
        return (7...15).contains(digits) && value.count <= 22
            && value.allSatisfy { ($0.isASCII && $0.isNumber) || " ()+-./x".contains($0) }
            && (value.contains(where: { " ()+-.".contains($0) }) || value.hasPrefix("0"))
    }
}
