import Foundation
package import RightsStore

/// How an evaluation column's values are made: realistic shapes, every one checkable by the
/// same validators a real database's values would meet.
package enum ValueKind: Sendable {
    case serial
    case email, cnMobile, e164, localPhone, residentID, card, ipv4, ipv6, birthDate
    case englishName, chineseName, englishAddress, chineseAddress, username, nickname, gender, passwordHash, userAgent
    case prose
    case proseSometimesPersonal(percent: Int)
    case jsonProfile, jsonSettings
    case postcode, avatarURL, channel, flag, status, amountCents, decimalAmount, recentTime, productName, sku, count, rating, hostIP, cidr,
        lastFour
    /// A key of another table's rows (1...rows).
    case reference(rows: Int)
    /// A text code: `prefix` and six digits (`C000042`), the row's own or another table's.
    case code(prefix: String)
    case codeReference(prefix: String, rows: Int)

    static let firstNames = ["James", "Mary", "Wei", "Li", "Ana", "John", "Fatima", "Oliver", "Sofia", "Chen", "Amara", "Lucas"]
    static let lastNames = ["Smith", "Garcia", "Wang", "Zhang", "Okafor", "Muller", "Rossi", "Silva", "Kim", "Novak"]
    static let words = [
        "delivery", "late", "thanks", "the", "package", "arrived", "colour", "size", "refund", "please", "great", "service", "again",
        "item", "broken", "box", "order", "help", "when", "will",
    ]
    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]
    static let givenNames = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"]

    package func value(row: Int, random: inout SeededGenerator) -> String? {
        func digits(_ count: Int) -> String { (0..<count).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined() }
        func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
        switch self {
        case .serial: return String(row)
        case .email:
            return
                "\(pick(Self.firstNames).lowercased()).\(pick(Self.lastNames).lowercased())\(row)@\(pick(["example.com", "mail.example.org", "example.net"]))"
        case .cnMobile: return "1\(pick(["3", "5", "7", "8", "9"]))\(digits(9))"
        case .e164: return "+44 7700 9\(digits(5))"
        case .localPhone: return "(555) 01\(digits(1))-\(digits(4))"
        case .residentID:
            let body =
                "110105"
                + String(
                    format: "%04d%02d%02d", Int.random(in: 1950...2004, using: &random), Int.random(in: 1...12, using: &random),
                    Int.random(in: 1...28, using: &random)) + digits(3)
            let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
            let sum = zip(body, weights).reduce(0) { $0 + ($1.0.wholeNumberValue ?? 0) * $1.1 }
            return body + String(Array("10X98765432")[sum % 11])
        case .card:
            let body = "4" + digits(14)
            var sum = 0
            for (offset, character) in (body + "0").reversed().enumerated() {
                var digit = character.wholeNumberValue ?? 0
                if offset % 2 == 1 { digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2 }
                sum += digit
            }
            return body + String((10 - sum % 10) % 10)
        case .ipv4:
            return
                "\(Int.random(in: 11...223, using: &random)).\(Int.random(in: 0...255, using: &random)).\(Int.random(in: 0...255, using: &random)).\(Int.random(in: 1...254, using: &random))"
        case .ipv6: return "2001:db8:\(String(Int.random(in: 1...65_000, using: &random), radix: 16))::\(String(row, radix: 16))"
        case .birthDate:
            return String(
                format: "%04d-%02d-%02d", Int.random(in: 1950...2005, using: &random), Int.random(in: 1...12, using: &random),
                Int.random(in: 1...28, using: &random))
        case .englishName: return "\(pick(Self.firstNames)) \(pick(Self.lastNames))"
        case .chineseName: return pick(Self.surnames) + pick(Self.givenNames) + (Bool.random(using: &random) ? pick(Self.givenNames) : "")
        case .englishAddress:
            return
                "\(Int.random(in: 1...400, using: &random)) \(pick(["High", "Mill", "Church", "Park"])) Street, \(pick(["Leeds", "Bristol", "York"]))"
        case .chineseAddress: return "北京市朝阳区建国路\(Int.random(in: 1...300, using: &random))号\(Int.random(in: 1...30, using: &random))层"
        case .username: return "\(pick(Self.firstNames).lowercased())_\(row)"
        case .nickname: return "\(pick(["sunny", "blue", "quiet", "happy"]))\(pick(Self.words))\(row % 97)"
        case .gender: return pick(["F", "M", "X"])
        case .passwordHash:
            return "$2b$12$"
                + (0..<53).map { _ in String(pick(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./"))) }.joined()
        case .userAgent:
            return
                "Mozilla/5.0 (\(pick(["X11; Linux x86_64", "iPhone; CPU iPhone OS 17_0", "Windows NT 10.0"]))) Version/\(Int.random(in: 10...20, using: &random))"
        case .prose: return (0..<Int.random(in: 5...14, using: &random)).map { _ in pick(Self.words) }.joined(separator: " ")
        case .proseSometimesPersonal(let percent):
            let text = (0..<Int.random(in: 5...12, using: &random)).map { _ in pick(Self.words) }.joined(separator: " ")
            guard Int.random(in: 0..<100, using: &random) < percent else { return text }
            return Bool.random(using: &random)
                ? text + " call me on " + (ValueKind.cnMobile.value(row: row, random: &random) ?? "")
                : text + " write to " + (ValueKind.email.value(row: row, random: &random) ?? "")
        case .jsonProfile:
            return
                #"{"ip": "\#(ValueKind.ipv4.value(row: row, random: &random) ?? "")", "device": {"model": "\#(pick(["Pixel 8", "iPhone 15", "Mate 60"]))"}, "theme": "dark"}"#
        case .jsonSettings: return #"{"theme": "\#(pick(["dark", "light"]))", "page_size": \#(Int.random(in: 10...100, using: &random))}"#
        case .postcode: return "LS\(Int.random(in: 1...28, using: &random)) \(Int.random(in: 1...9, using: &random))AB"
        case .avatarURL: return "https://cdn.example.cn/avatar/\(row).png"
        case .channel: return pick(["email", "sms", "post", "phone"])
        case .flag: return pick(["0", "1"])
        case .status: return pick(["active", "closed", "pending"])
        case .amountCents: return String(Int.random(in: 100...99_999, using: &random))
        case .decimalAmount: return String(format: "%.2f", Double(Int.random(in: 100...99_999, using: &random)) / 100)
        case .recentTime:
            return String(
                format: "2026-%02d-%02d %02d:%02d:00", Int.random(in: 1...11, using: &random), Int.random(in: 1...28, using: &random),
                Int.random(in: 0...23, using: &random), Int.random(in: 0...59, using: &random))
        case .productName: return "\(pick(["Blue", "Large", "Classic"])) \(pick(["Mug", "Lamp", "Chair", "Kettle"]))"
        case .sku: return "SKU-\(Int.random(in: 1_000...9_999, using: &random))"
        case .count: return String(Int.random(in: 0...500, using: &random))
        case .rating: return String(Int.random(in: 1...5, using: &random))
        case .hostIP: return "10.0.\(row / 250).\(row % 250 + 1)"
        case .cidr: return "10.\(row % 250).0.0/16"
        case .lastFour: return digits(4)
        case .reference(let rows): return String(Int.random(in: 1...rows, using: &random))
        case .code(let prefix): return prefix + String(format: "%06d", row)
        case .codeReference(let prefix, let rows): return prefix + String(format: "%06d", Int.random(in: 1...rows, using: &random))
        }
    }
}
