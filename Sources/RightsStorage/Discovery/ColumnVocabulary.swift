/// What a column's or a table's name says, in English and in the pinyin and pinyin
/// abbreviations common in Chinese schemas (`sjh` 手机号, `sfzh` 身份证号, `xm` 姓名).
package enum ColumnVocabulary {
    /// A name's words: split at `_`, `-`, digits and lower-to-upper case changes, lowercased
    /// (`contactEmail2` → `contact`, `email`).
    package static func words(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for character in name {
            if !(character.isLetter && character.isASCII) {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousLower = false
                continue
            }
            if character.isUppercase, previousLower, !current.isEmpty {
                words.append(current)
                current = ""
            }
            current.append(Character(character.lowercased()))
            previousLower = character.isLowercase
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// What a column name suggests.
    package enum Meaning: Sendable, Equatable {
        /// A category of personal data.
        case personal(String)
        /// Free text a person may have written (notes, messages): personal if its values say so.
        case freeText
        /// Money or the lines of a purchase: personal where the table's rows are a person's.
        case financialDetail
        /// The thing's name, which is a person's only in a table of people.
        case ambiguousName
    }

    /// Whole names (joined words) first: they are the most specific.
    static let wholeNames: [String: Meaning] = [
        // English
        "email": .personal("user.contact.email"), "emailaddress": .personal("user.contact.email"),
        "mail": .personal("user.contact.email"), "contactemail": .personal("user.contact.email"),
        "phone": .personal("user.contact.phone"), "phonenumber": .personal("user.contact.phone"),
        "mobile": .personal("user.contact.phone"), "mobilenumber": .personal("user.contact.phone"),
        "tel": .personal("user.contact.phone"), "telephone": .personal("user.contact.phone"), "cell": .personal("user.contact.phone"),
        "cellphone": .personal("user.contact.phone"), "msisdn": .personal("user.contact.phone"),
        "address": .personal("user.contact.address"), "addr": .personal("user.contact.address"),
        "street": .personal("user.contact.address"), "postcode": .personal("user.contact.address"),
        "zip": .personal("user.contact.address"), "zipcode": .personal("user.contact.address"),
        "postalcode": .personal("user.contact.address"), "city": .personal("user.contact.address"),
        "firstname": .personal("user.identity.real_name"), "lastname": .personal("user.identity.real_name"),
        "fullname": .personal("user.identity.real_name"), "surname": .personal("user.identity.real_name"),
        "givenname": .personal("user.identity.real_name"), "familyname": .personal("user.identity.real_name"),
        "realname": .personal("user.identity.real_name"), "legalname": .personal("user.identity.real_name"),
        "nickname": .personal("user.account.nickname"), "displayname": .personal("user.account.nickname"),
        "screenname": .personal("user.account.nickname"),
        "username": .personal("user.account.username"), "login": .personal("user.account.username"),
        "loginname": .personal("user.account.username"), "handle": .personal("user.account.username"),
        "password": .personal("user.account.credentials"), "passwordhash": .personal("user.account.credentials"),
        "passwd": .personal("user.account.credentials"), "pwd": .personal("user.account.credentials"),
        "birthday": .personal("user.demographic.date_of_birth"), "birthdate": .personal("user.demographic.date_of_birth"),
        "dob": .personal("user.demographic.date_of_birth"), "dateofbirth": .personal("user.demographic.date_of_birth"),
        "gender": .personal("user.demographic.gender"), "sex": .personal("user.demographic.gender"),
        "ip": .personal("user.device.ip_address"), "ipaddress": .personal("user.device.ip_address"),
        "ipaddr": .personal("user.device.ip_address"), "remoteaddr": .personal("user.device.ip_address"),
        "clientip": .personal("user.device.ip_address"), "lastip": .personal("user.device.ip_address"),
        "useragent": .personal("user.device"), "deviceid": .personal("user.device"), "devicename": .personal("user.device"),
        "imei": .personal("user.device"), "idfa": .personal("user.device"),
        "ssn": .personal("user.identity.government_id"), "passport": .personal("user.identity.government_id"),
        "passportno": .personal("user.identity.government_id"), "nationalid": .personal("user.identity.government_id"),
        "idnumber": .personal("user.identity.government_id"), "idcard": .personal("user.identity.government_id"),
        "taxid": .personal("user.identity.government_id"),
        "cardnumber": .personal("user.financial.card"), "cardno": .personal("user.financial.card"), "pan": .personal("user.financial.card"),
        "cardlast": .personal("user.financial.card"), "iban": .personal("user.financial.bank_account"),
        "bankaccount": .personal("user.financial.bank_account"), "accountnumber": .personal("user.financial.bank_account"),
        "latitude": .personal("user.location"), "longitude": .personal("user.location"), "lat": .personal("user.location"),
        "lng": .personal("user.location"), "lon": .personal("user.location"), "geo": .personal("user.location"),
        "notes": .freeText, "note": .freeText, "comment": .freeText, "comments": .freeText, "message": .freeText, "body": .freeText,
        "bio": .freeText, "remark": .freeText, "remarks": .freeText, "content": .freeText, "feedback": .freeText,
        "amount": .financialDetail, "total": .financialDetail, "price": .financialDetail, "amountcents": .financialDetail,
        "totalcents": .financialDetail, "paidat": .financialDetail, "paymentmethod": .financialDetail,
        "name": .ambiguousName,
        "userid": .personal("user.account.id"), "uid": .personal("user.account.id"),
        "externalid": .personal("user.account.third_party"), "openid": .personal("user.account.third_party"),
        "unionid": .personal("user.account.third_party"),
        "recipientname": .personal("user.identity.real_name"), "contactname": .personal("user.identity.real_name"),
        "customername": .personal("user.identity.real_name"), "cardholder": .personal("user.identity.real_name"),
        "holdername": .personal("user.identity.real_name"), "shr": .personal("user.identity.real_name"),
        "lxr": .personal("user.identity.real_name"), "lianxiren": .personal("user.identity.real_name"),
        "shouhuoren": .personal("user.identity.real_name"),
        "subjectline": .freeText, "subject": .freeText, "description": .freeText,
        "orderno": .financialDetail, "ordernumber": .financialDetail, "invoiceno": .financialDetail, "ddh": .financialDetail,
        "product": .financialDetail, "sku": .financialDetail, "quantity": .financialDetail, "qty": .financialDetail,
        "sp": .financialDetail, "spmc": .financialDetail, "sl": .financialDetail,
        // Pinyin and its initials
        "yx": .personal("user.contact.email"), "youxiang": .personal("user.contact.email"), "dzyx": .personal("user.contact.email"),
        "sjh": .personal("user.contact.phone"), "sjhm": .personal("user.contact.phone"), "shouji": .personal("user.contact.phone"),
        "shoujihao": .personal("user.contact.phone"), "dh": .personal("user.contact.phone"), "dhhm": .personal("user.contact.phone"),
        "dianhua": .personal("user.contact.phone"), "lxdh": .personal("user.contact.phone"),
        "lianxidianhua": .personal("user.contact.phone"),
        "dz": .personal("user.contact.address"), "dizhi": .personal("user.contact.address"), "jtdz": .personal("user.contact.address"),
        "shdz": .personal("user.contact.address"), "lxdz": .personal("user.contact.address"), "yb": .personal("user.contact.address"),
        "xm": .personal("user.identity.real_name"), "xingming": .personal("user.identity.real_name"),
        "zsxm": .personal("user.identity.real_name"), "shrxm": .personal("user.identity.real_name"),
        "sfz": .personal("user.identity.government_id"), "sfzh": .personal("user.identity.government_id"),
        "sfzhm": .personal("user.identity.government_id"), "shenfenzheng": .personal("user.identity.government_id"),
        "zjhm": .personal("user.identity.government_id"), "hzh": .personal("user.identity.government_id"),
        "yhm": .personal("user.account.username"), "yonghuming": .personal("user.account.username"),
        "dlm": .personal("user.account.username"), "nc": .personal("user.account.nickname"), "nicheng": .personal("user.account.nickname"),
        "mm": .personal("user.account.credentials"), "mima": .personal("user.account.credentials"),
        "csrq": .personal("user.demographic.date_of_birth"), "shengri": .personal("user.demographic.date_of_birth"),
        "xb": .personal("user.demographic.gender"), "xingbie": .personal("user.demographic.gender"),
        "yhk": .personal("user.financial.card"), "yhkh": .personal("user.financial.card"), "kahao": .personal("user.financial.card"),
        "dlip": .personal("user.device.ip_address"), "sbh": .personal("user.device"), "shebei": .personal("user.device"),
        "bz": .freeText, "beizhu": .freeText, "ly": .freeText, "liuyan": .freeText, "nr": .freeText, "neirong": .freeText,
        "je": .financialDetail, "jine": .financialDetail, "zje": .financialDetail, "zfje": .financialDetail, "dj": .financialDetail,
    ]

    /// Single words, used when the whole name is not known (`billing_email`, `user_phone`).
    static let words: [String: Meaning] = [
        "email": .personal("user.contact.email"), "mail": .personal("user.contact.email"),
        "phone": .personal("user.contact.phone"), "mobile": .personal("user.contact.phone"), "tel": .personal("user.contact.phone"),
        "address": .personal("user.contact.address"), "addr": .personal("user.contact.address"),
        "street": .personal("user.contact.address"), "postcode": .personal("user.contact.address"),
        "zip": .personal("user.contact.address"),
        "birthday": .personal("user.demographic.date_of_birth"), "birth": .personal("user.demographic.date_of_birth"),
        "dob": .personal("user.demographic.date_of_birth"), "ip": .personal("user.device.ip_address"),
        "passport": .personal("user.identity.government_id"), "ssn": .personal("user.identity.government_id"),
        "iban": .personal("user.financial.bank_account"), "password": .personal("user.account.credentials"),
        "nickname": .personal("user.account.nickname"), "username": .personal("user.account.username"),
        "surname": .personal("user.identity.real_name"), "sjh": .personal("user.contact.phone"),
        "sfzh": .personal("user.identity.government_id"),
        "shouji": .personal("user.contact.phone"), "dianhua": .personal("user.contact.phone"), "dizhi": .personal("user.contact.address"),
        "xingming": .personal("user.identity.real_name"), "youxiang": .personal("user.contact.email"),
        "notes": .freeText, "note": .freeText, "comment": .freeText, "message": .freeText, "remark": .freeText,
        "amount": .financialDetail, "cents": .financialDetail, "price": .financialDetail, "total": .financialDetail,
    ]

    /// Words that make a name mean something about a value rather than the value itself
    /// (`email_verified`, `phone_count`, `mobile_app_version`, `address_type`).
    static let qualifiers: Set<String> = [
        "verified", "confirmed", "count", "sent", "status", "type", "kind", "flag", "enabled", "opt", "optin", "optout", "version",
        "app", "template", "format", "domain", "provider", "at", "on", "code", "valid", "validated", "bounced", "is", "has", "id",
        "country", "prefix", "lang", "language", "hash", "length", "policy", "preference", "zt", "lx",
    ]

    /// What `name` suggests, with the reason in a few words; nil when it suggests nothing.
    package static func meaning(of name: String) -> (meaning: Meaning, reason: String)? {
        let words = words(name)
        let joined = words.joined()
        if let meaning = wholeNames[joined] { return (meaning, "name '\(name)'") }
        // `card_last4` and `card_last_4`: digits are not words.
        if let meaning = wholeNames[joined.filter(\.isLetter)] { return (meaning, "name '\(name)'") }
        if words.contains(where: qualifiers.contains) { return nil }
        for word in words {
            if let meaning = Self.words[word] { return (meaning, "name '\(name)' (\(word))") }
        }
        return nil
    }

    /// Table names whose rows are people: the subject's own tables.
    static let subjectNouns: Set<String> = [
        "user", "users", "customer", "customers", "member", "members", "account", "accounts", "person", "people", "persons", "client",
        "clients", "patient", "patients", "profile", "profiles", "subscriber", "subscribers", "player", "players", "student", "students",
        "yonghu", "yh", "kehu", "kh", "huiyuan", "hy", "guke", "xuesheng", "wanjia",
    ]

    /// Table names whose rows are money: their details are a person's financial records.
    static let financialNouns: Set<String> = [
        "order", "orders", "payment", "payments", "invoice", "invoices", "transaction", "transactions", "charge", "charges",
        "refund", "refunds", "purchase", "purchases", "billing", "dingdan", "dd", "zhifu", "zf", "fapiao", "fp", "jiaoyi", "jy",
        "tuikuan", "ledger", "receipt", "receipts",
    ]

    /// Whether a table's name says its rows are people.
    package static func namesPeople(_ table: String) -> Bool {
        let words = words(table)
        return subjectNouns.contains(words.joined()) || words.last.map(subjectNouns.contains) ?? false
    }

    /// Table names whose rows record what a person agreed to.
    static let consentNouns: Set<String> = ["consent", "consents", "permission", "permissions", "tongyi", "shouquan"]

    /// Whether a table's name says its rows are postal addresses.
    package static func namesAddresses(_ table: String) -> Bool {
        words(table).contains { ["address", "addresses", "dizhi", "shdz", "addr"].contains($0) }
    }

    /// Whether a table's name says its rows are consents.
    package static func namesConsent(_ table: String) -> Bool {
        words(table).contains(where: consentNouns.contains)
    }

    /// Whether a table's name says its rows are money.
    package static func namesMoney(_ table: String) -> Bool {
        let words = words(table)
        return words.contains(where: financialNouns.contains) || financialNouns.contains(words.joined())
    }

    /// The parent a link column's name points at (`customer_id` → `customer`, `yhid` → `yh`),
    /// or nil when the name is not a reference's.
    package static func referencedNoun(_ column: String) -> String? {
        let words = words(column)
        let joined = words.joined()
        if words.count >= 2, let last = words.last, ["id", "no", "ref", "key", "code", "num"].contains(last) {
            return words.dropLast().joined()
        }
        for suffix in ["id", "no"] where joined.hasSuffix(suffix) && joined.count > suffix.count + 1 {
            return String(joined.dropLast(suffix.count))
        }
        if ["uid", "owner", "buyer", "customer", "user", "member"].contains(joined) { return joined == "uid" ? "user" : joined }
        return nil
    }

    /// Whether a noun names `table` (`customer` names `customers`, `cust` names `customer`,
    /// `yh` names `yonghu`).
    package static func noun(_ noun: String, names table: String) -> Bool {
        let name = words(table).joined()
        if noun == name || noun + "s" == name || noun + "es" == name || noun == name + "s" { return true }
        if noun.count >= 3, name.hasPrefix(noun) { return true }
        // Pinyin initials: `yh` for `yonghu` (yong-hu), `kh` for `kehu`.
        let aliases: [String: Set<String>] = [
            "yh": ["yonghu"], "kh": ["kehu"], "hy": ["huiyuan"], "user": ["users", "yonghu", "accounts", "members"],
            "cust": ["customer", "customers", "kehu"], "customer": ["kehu"], "uid": ["users", "user"], "owner": ["users", "user"],
            "buyer": ["users", "customers", "user", "customer"], "member": ["members", "huiyuan"],
        ]
        return aliases[noun]?.contains(name) ?? false
    }
}
