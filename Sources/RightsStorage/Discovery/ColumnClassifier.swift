/// What a column holds, judged from its name and its sampled values together.
package struct ColumnClassification: Sendable, Equatable {
    package enum Verdict: Sendable, Equatable {
        /// Personal data of this category.
        case personal(String)
        /// Personal where the table's rows are a person's (a note, an amount), else not.
        case personalIfLinked(String)
        case notPersonal
    }

    package var verdict: Verdict
    /// From 0 to 1: how sure the judgement is.
    package var confidence: Double
    /// One line a reviewer reads: what was seen, never a value.
    package var reason: String
    /// Whether its values can find a person (false where they are encrypted or hashed).
    package var findsPerson = true

    package var category: String? {
        switch verdict {
        case .personal(let category), .personalIfLinked(let category): category
        case .notPersonal: nil
        }
    }
}

/// Judges columns. Values outweigh names: a column named `notes` full of phone numbers is a
/// phone column, and a column named `email_sent` holding flags is not an email column.
package enum ColumnClassifier {
    /// The share of sampled values that must be of one kind for the values alone to decide.
    static let decisiveShare = 0.6

    package static func classify(
        _ column: SchemaFacts.Column, evidence: ColumnEvidence, peopleTable: Bool, moneyTable: Bool, consentTable: Bool = false,
        addressTable: Bool = false
    ) -> ColumnClassification {
        let named = ColumnVocabulary.meaning(of: column.name)
        let sampled = evidence.sampled
        let namedPersonal: Bool = {
            if case .personal? = named?.meaning { return true }
            return false
        }()
        if column.primaryKey, !namedPersonal {
            return ColumnClassification(verdict: .notPersonal, confidence: 0.9, reason: "the table's key")
        }
        if consentTable, !column.primaryKey, !(evidence.flags && named == nil), ColumnVocabulary.referencedNoun(column.name) == nil {
            return ColumnClassification(
                verdict: .personalIfLinked("user.consent"), confidence: 0.75,
                reason: "a column of a table of consents: what a person agreed to")
        }
        // The values decide when most of them are one kind.
        if let (kind, count) = evidence.dominant, sampled >= 3, Double(count) / Double(sampled) >= decisiveShare {
            let agrees = named.map { if case .personal(let category) = $0.meaning { category == kind.category } else { false } } ?? false
            // A date is only a birth date where the name or the table says so.
            if kind == .dateOfBirth, !agrees, !peopleTable || Self.namesTime(column.name) {
                return ColumnClassification(
                    verdict: .notPersonal, confidence: 0.6, reason: "dates in a column whose name says when something happened")
            }
            let share = "\(count) of \(sampled) sampled values are \(kind.plural)"
            return ColumnClassification(
                verdict: .personal(kind.category), confidence: agrees ? 0.98 : 0.9,
                reason: agrees ? "\(named?.reason ?? "name") and \(share)" : share)
        }
        // Documents and free text that carry personal values inside.
        if evidence.containingAny >= 2 || (evidence.containingAny >= 1 && sampled <= 20) {
            let (kind, count) = evidence.dominantInside ?? (.email, evidence.containingAny)
            if evidence.documents * 2 >= sampled {
                return ColumnClassification(
                    verdict: .personal(kind.category), confidence: 0.85,
                    reason: "JSON documents; \(count) of \(sampled) sampled hold \(kind.plural) in their fields")
            }
            return ColumnClassification(
                verdict: .personal("user.content.free_text"), confidence: 0.8,
                reason: "free text; \(evidence.containingAny) of \(sampled) sampled values contain \(kind.plural)")
        }
        if addressTable, !column.primaryKey, evidence.wordy * 2 > sampled, named == nil, ColumnVocabulary.referencedNoun(column.name) == nil
        {
            return ColumnClassification(
                verdict: .personalIfLinked("user.contact.address"), confidence: 0.7, reason: "text in a table of addresses")
        }
        guard let (meaning, reason) = named else {
            if peopleTable, evidence.wordy * 2 > sampled, evidence.averageLength >= 40 {
                return ColumnClassification(
                    verdict: .personalIfLinked("user.content.free_text"), confidence: 0.55,
                    reason: "long free text in a table of people")
            }
            return ColumnClassification(verdict: .notPersonal, confidence: 0.7, reason: "nothing personal in its name or sampled values")
        }
        switch meaning {
        case .personal(let category):
            // A name the values contradict: checkable kinds that none of the values are.
            if sampled >= 5, let contradiction = contradiction(category, column: column, evidence: evidence) {
                return ColumnClassification(verdict: .notPersonal, confidence: 0.75, reason: "\(reason), but \(contradiction)")
            }
            if evidence.unreadable {
                var judged = ColumnClassification(
                    verdict: .personal(category), confidence: 0.75,
                    reason: "\(reason); its sampled values are unreadable (encrypted or hashed), so it cannot find a person")
                judged.findsPerson = false
                return judged
            }
            let seen = sampled == 0 ? "; no values sampled" : ""
            return ColumnClassification(verdict: .personal(category), confidence: sampled == 0 ? 0.6 : 0.8, reason: reason + seen)
        case .freeText:
            return ColumnClassification(
                verdict: .personalIfLinked("user.content.free_text"), confidence: 0.7,
                reason: "\(reason): free text about the person whose row it is")
        case .financialDetail:
            guard moneyTable else {
                return ColumnClassification(verdict: .notPersonal, confidence: 0.6, reason: "\(reason), in a table that is not a payment's")
            }
            return ColumnClassification(
                verdict: .personalIfLinked("user.financial.transaction"), confidence: 0.75,
                reason: "\(reason): part of a person's purchase or payment")
        case .ambiguousName:
            guard peopleTable else {
                return ColumnClassification(
                    verdict: .notPersonal, confidence: 0.6, reason: "\(reason), in a table whose rows are not people")
            }
            return ColumnClassification(
                verdict: .personal("user.identity.real_name"), confidence: 0.7, reason: "\(reason) in a table of people")
        }
    }

    /// Why the values say the name is wrong: flags or counts where a person's value was named,
    /// or numbers where an address or a name should be text. Values that are merely not
    /// readable (encrypted, masked, a card's last four digits) do not contradict a name.
    static func contradiction(_ category: String, column: SchemaFacts.Column, evidence: ColumnEvidence) -> String? {
        let sampled = evidence.sampled
        if evidence.flags { return "all \(sampled) sampled values are one of \(evidence.numbers.count) numbers, a flag or a count" }
        switch category {
        case "user.contact.email", "user.identity.real_name", "user.account.nickname", "user.contact.address":
            return evidence.numeric == sampled ? "all \(sampled) sampled values are numbers" : nil
        default:
            return nil
        }
    }

    /// Whether a name says when something happened (`created_at`, `order_date`, `riqi`).
    static func namesTime(_ name: String) -> Bool {
        let words = ColumnVocabulary.words(name)
        // Pinyin initials: 创建时间 cjsj, 支付时间 zfsj, 下单时间 xdsj, 更新时间 gxsj, 登录时间 dlsj, 日期 rq.
        if ["cjsj", "zfsj", "xdsj", "gxsj", "dlsj", "cjrq", "zfrq", "xdrq"].contains(words.joined()) { return true }
        return words.contains { ["at", "date", "time", "created", "updated", "paid", "sj", "shijian", "rq", "riqi", "ts"].contains($0) }
            && !words.contains("birth")
    }
}
