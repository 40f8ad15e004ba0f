public import Foundation

/// The kernel's own part of a deployment: who it is, the jurisdiction policy and the services.
///
/// Keys, each reported with its location when wrong:
/// - `deployment`: `name`, `jurisdiction`, `timezone` (IANA name, default `UTC`), `languages`
///   (those the privacy centre offers and messages are written in, the first for people who chose
///   none; default `[en, zh-Hans]`), `texts` (the deployment's wording of catalogue strings per
///   language, such as `home.lead`)
/// - `policy.deadline`: `days` (1–3650) or `months` (1–120, calendar months), `business_days`,
///   `holidays` (list of `yyyy-MM-dd`)
/// - `policy.extension`: `days` or `months`, `business_days`: the one extension a request may get
/// - `policy.repeat`: `window_days` or `window_months` (calendar months), `free`, `count`
///   (`requests`, the default, or `disclosures`: only requests answered), `beyond` (`fee`,
///   `refuse`, or `review`: an operator decides, GDPR Art. 12(5)), `fee.amount`, `fee.currency`,
///   `fee.valid_days` (how long the requester has to accept a quote; default 14)
/// - `policy.acknowledge`: `business_days` (receipt confirmed to the requester, due within that
///   many business days; CCPA Regulations §7021 say 10)
/// - `policy.simplified_answer`: `rights` (answered at once in simplified form once the identity
///   is verified, the complete answer following; LGPD Art. 19 I)
/// - `services.store`: `driver` (`sqlite` or `postgres`); for SQLite `path` (relative to the
///   deployment file); for PostgreSQL `url` (`postgres://user@host:port/database`, no password)
///   and `password_env` (the environment variable holding the password), and `keys` (the folder
///   of the subject-key and request secrets every instance shares; default `data/keys`)
/// - `services.identity`: `code_ttl_seconds`, `max_attempts`, `code_digits`, `failures_per_day`
/// - `services.processing`: `lease_seconds` (how long a process's claim on a request's work lasts
///   without a heartbeat before another may take it over, default 300), `max_failures` (failed
///   attempts at a request's work before it waits for an operator, default 3)
/// - `services.intake`: `window_minutes` (default 60), `filings` (requests one subject, or one
///   requester's contact, may file in the window; default 20), `resends` (new codes per subject
///   in the window; default 5), `resend_cooldown_seconds` (least time between two codes to one
///   subject; default 60), `codes_per_contact` (codes one address or phone may be sent in the
///   window, whoever files; default 30), `codes_per_phone_block` (codes all the numbers sharing
///   their first 7 digits may be sent in the window; default 300)
/// - `services.exports`: `retention_days` (how long a finished request's files are kept before
///   `resume` removes them; default 30)
/// - `services.notifier`: `driver` (`outbox`), `mail_drop` (a folder where `rightskit outbox
///   deliver` writes each message as a file, for development), `undelivered_days` (how long a
///   message nobody delivered keeps its recipient and text; default 30)
/// - `services.audit`: `signing_key` (a file for the Ed25519 key that signs checkpoints),
///   `public_key` (its public half, all that `audit verify` needs; default `<signing_key>.pub`),
///   `published_checkpoints` (a folder, ideally on other storage, where each checkpoint is also
///   appended; default `data/audit-checkpoints`)
/// - `data_map`: the data map inline, or the name of its own file (see ``DataMap``)
public struct DeploymentSettings: Sendable, Equatable {
    public var name: String
    /// The languages the deployment serves, the first for people who chose none.
    public var languages: [TextLanguage] = TextLanguage.allCases
    /// The catalogue strings the deployment words its own way (`deployment.texts`).
    public var wording = TextCatalogue()
    public var policy: JurisdictionPolicy
    public var store: StoreSettings
    public var identity: OneTimeCodeVerifier.Settings
    public var processing: ProcessingSettings
    public var intake: IntakeLimits
    public var notifierDriver: String
    /// How long a finished request's response files are kept.
    public var exportRetention: TimeInterval
    /// The development transport's folder (`services.notifier.mail_drop`), if any.
    public var mailDrop: String?
    /// How long a message nobody delivered keeps its text (`services.notifier.undelivered_days`,
    /// default 30) before it is minimised like a delivered one.
    public var undeliveredRetention: TimeInterval = 30 * 86_400
    /// The Ed25519 key that signs audit checkpoints (`services.audit.signing_key`), if any.
    public var auditSigningKey: String?
    /// The public key that verifies checkpoints; nil when checkpoints are not configured.
    public var auditPublicKey: String?
    /// The folder where checkpoints are published outside the database.
    public var publishedCheckpoints: String?
    /// Where personal data lives; nil for a deployment without a data map.
    public var dataMap: DataMap?

    /// Where the ledger lives.
    public struct StoreSettings: Sendable, Equatable {
        /// The ledger's database: a file (the embedded driver's, by default) or a server's.
        public var database: DatabaseLocation
        /// The registered driver that opens the ledger.
        public var driver: StorageDriverName { database.driver }
        /// The ledger's file, an absolute path resolved against the deployment file's folder (for
        /// a server's database, where it is, for messages).
        public var path: String { database.path }
        /// The server's database, for a ledger named by `url`.
        public var url: DatabaseURL? { database.url }
        /// Where the ledger's driver is named (`driver`, `url`, or `services.store` itself), for
        /// the error when no driver is registered by that name.
        public var location: ConfigLocation
        /// The folder of the secrets the store and the server keep out of the database: the
        /// subject-key salt and the request-secret key. Beside the SQLite file by default.
        public var keysFolder: String
    }

    /// How requests are worked when many processes share a deployment.
    public struct ProcessingSettings: Sendable, Equatable {
        /// How long a claim on a request's work lasts without a heartbeat (renewed every third).
        public var lease: TimeInterval
        /// Failed attempts at a request's work before it moves to `needsAttention`.
        public var maxFailures: Int

        public init(lease: TimeInterval = 300, maxFailures: Int = 3) {
            self.lease = lease
            self.maxFailures = maxFailures
        }
    }

    /// Caps on filings and codes per person, so nobody can flood a subject with codes or use up
    /// their allowance.
    public struct IntakeLimits: Sendable, Equatable {
        public var window: TimeInterval
        public var filings: Int
        public var resends: Int
        public var resendCooldown: TimeInterval
        /// Codes one contact may be sent in the window whoever files: what bounds the mail or
        /// texts anyone can make the organisation send to a person.
        public var codesPerContact: Int
        /// Codes the phone numbers of one block (the same first ``phoneBlockDigits`` digits) may
        /// be sent in the window: what bounds texts to a run of premium-rate numbers.
        public var codesPerPhoneBlock: Int = 300
        /// The digits after `+` that name a block of numbers (country code and range).
        public static let phoneBlockDigits = 7

        public init(
            window: TimeInterval = 3_600, filings: Int = 20, resends: Int = 5, resendCooldown: TimeInterval = 60, codesPerContact: Int = 30
        ) {
            self.window = window
            self.filings = filings
            self.resends = resends
            self.resendCooldown = resendCooldown
            self.codesPerContact = codesPerContact
        }
    }

    /// Reads only the kernel's settings of a deployment file (no modules, no services), for
    /// tools that must act before the deployment can load, such as seeding its sample database.
    public static func load(path: String) throws(ConfigError) -> DeploymentSettings {
        let root = try ConfigSection.load(path: path)
        return try DeploymentSettings(root: root, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Reads the kernel's settings from YAML text (`file` names it in errors).
    public static func load(yaml: String, file: String = "config.yaml", baseDirectory: String = "/") throws(ConfigError)
        -> DeploymentSettings
    {
        try DeploymentSettings(root: ConfigSection.parse(yaml: yaml, file: file), baseDirectory: baseDirectory)
    }

    init(root: ConfigSection, baseDirectory: String) throws(ConfigError) {
        let deployment = try root.section("deployment")
        name = try deployment.string("name")
        let jurisdiction = try deployment.string("jurisdiction")
        let zoneName = try deployment.string("timezone", default: "UTC")
        guard let timeZone = TimeZone(identifier: zoneName) else {
            throw deployment.invalid("timezone", "expected an IANA time zone such as Asia/Shanghai, found '\(zoneName)'")
        }
        if deployment.contains("languages") {
            languages = []
            for name in try deployment.strings("languages") {
                guard let language = TextLanguage(rawValue: name) else {
                    let names = TextLanguage.allCases.map(\.rawValue).joined(separator: ", ")
                    throw deployment.invalid("languages", "unknown language '\(name)'; expected some of \(names)")
                }
                if !languages.contains(language) { languages.append(language) }
            }
            guard !languages.isEmpty else { throw deployment.invalid("languages", "expected at least one language, such as [en]") }
        }
        if let texts = try deployment.optionalSection("texts") {
            wording = try DeploymentWording.read(texts, known: TextCatalogue.standard.keys(.english))
        }
        try deployment.rejectUnknownKeys()

        let policySection = try root.section("policy")
        let deadline = try Self.deadline(policySection, timeZone: timeZone)
        var repetition = try policySection.optionalSection("repeat").map(Self.repetition)
        repetition?.timeZone = timeZone
        var policy = JurisdictionPolicy(jurisdiction: jurisdiction, deadline: deadline, repetition: repetition)
        if let section = try policySection.optionalSection("acknowledge") {
            policy.acknowledgement = ReceiptAcknowledgement(businessDays: try section.int("business_days", default: 10, in: 1...60))
            try section.rejectUnknownKeys()
        }
        if let section = try policySection.optionalSection("simplified_answer") {
            let rights = try section.strings("rights")
            guard !rights.isEmpty else { throw section.invalid("rights", "expected the rights answered at once, such as [access]") }
            policy.simplifiedAnswer = SimplifiedAnswer(rights: Set(rights))
            try section.rejectUnknownKeys()
        }
        try policySection.rejectUnknownKeys()
        self.policy = policy

        let services = try root.optionalSection("services")
        let storeSection = try services?.optionalSection("store")
        let database =
            try storeSection.map { section throws(ConfigError) in
                try DatabaseLocation(section: section, baseDirectory: baseDirectory, defaultPath: "data/rightskit.sqlite")
            } ?? DatabaseLocation(driver: .embedded, path: Self.resolve("data/rightskit.sqlite", against: baseDirectory))
        // Secrets sit beside a ledger file; a server's ledger keeps them in `keys`.
        var keys = URL(fileURLWithPath: database.path).deletingLastPathComponent().appendingPathComponent("keys").path
        if database.url != nil, let storeSection {
            keys = Self.resolve(try storeSection.string("keys", default: "data/keys"), against: baseDirectory)
        }
        try storeSection?.rejectUnknownKeys()
        store = StoreSettings(
            database: database, location: database.driverKey ?? storeSection?.location ?? services?.location ?? root.location,
            keysFolder: keys)

        let identitySection = try services?.optionalSection("identity")
        let defaults = OneTimeCodeVerifier.Settings()
        let ttl = try identitySection?.int("code_ttl_seconds", default: Int(defaults.codeLifetime)) ?? Int(defaults.codeLifetime)
        let attempts = try identitySection?.int("max_attempts", default: defaults.maxAttempts) ?? defaults.maxAttempts
        let digits = try identitySection?.int("code_digits", default: defaults.digits) ?? defaults.digits
        let failures =
            try identitySection?.int("failures_per_day", default: defaults.failuresPerWindow) ?? defaults.failuresPerWindow
        identity = OneTimeCodeVerifier.Settings(
            codeLifetime: TimeInterval(ttl), maxAttempts: attempts, digits: digits, failuresPerWindow: failures)
        if let identitySection {
            guard (30...86_400).contains(ttl) else {
                throw identitySection.invalid("code_ttl_seconds", "expected 30 to 86400 seconds, found \(ttl)")
            }
            guard (1...20).contains(attempts) else { throw identitySection.invalid("max_attempts", "expected 1 to 20, found \(attempts)") }
            guard (4...10).contains(digits) else {
                throw identitySection.invalid("code_digits", "expected 4 to 10 digits, found \(digits)")
            }
            guard failures >= 1 else { throw identitySection.invalid("failures_per_day", "expected at least 1, found \(failures)") }
            let chance = identity.yearlyGuessingChance
            guard chance <= OneTimeCodeVerifier.Settings.guessingCeiling else {
                throw identitySection.invalid(
                    "failures_per_day",
                    "with \(digits)-digit codes, \(failures) wrong answers a day let a guesser take a person's code within a year with a chance of up to \(GuessingOdds.text(chance)), above the ceiling of \(GuessingOdds.text(OneTimeCodeVerifier.Settings.guessingCeiling)); allow fewer failures or use longer codes"
                )
            }
            try identitySection.rejectUnknownKeys()
        }

        let processingSection = try services?.optionalSection("processing")
        let lease = try processingSection?.int("lease_seconds", default: 300) ?? 300
        let maxFailures = try processingSection?.int("max_failures", default: 3) ?? 3
        if let processingSection {
            guard (5...86_400).contains(lease) else {
                throw processingSection.invalid("lease_seconds", "expected 5 to 86400 seconds, found \(lease)")
            }
            guard (1...100).contains(maxFailures) else {
                throw processingSection.invalid("max_failures", "expected 1 to 100, found \(maxFailures)")
            }
            try processingSection.rejectUnknownKeys()
        }
        processing = ProcessingSettings(lease: TimeInterval(lease), maxFailures: maxFailures)

        let intakeSection = try services?.optionalSection("intake")
        let limits = IntakeLimits()
        let windowMinutes = try intakeSection?.int("window_minutes", default: 60) ?? 60
        let filings = try intakeSection?.int("filings", default: limits.filings) ?? limits.filings
        let resends = try intakeSection?.int("resends", default: limits.resends) ?? limits.resends
        let cooldown = try intakeSection?.int("resend_cooldown_seconds", default: 60) ?? 60
        let perContact = try intakeSection?.int("codes_per_contact", default: limits.codesPerContact) ?? limits.codesPerContact
        let perBlock = try intakeSection?.int("codes_per_phone_block", default: limits.codesPerPhoneBlock) ?? limits.codesPerPhoneBlock
        if let intakeSection {
            guard (1...10_080).contains(windowMinutes) else {
                throw intakeSection.invalid("window_minutes", "expected 1 to 10080 minutes, found \(windowMinutes)")
            }
            guard (1...10_000).contains(filings) else { throw intakeSection.invalid("filings", "expected 1 to 10000, found \(filings)") }
            guard (0...1_000).contains(resends) else { throw intakeSection.invalid("resends", "expected 0 to 1000, found \(resends)") }
            guard (0...86_400).contains(cooldown) else {
                throw intakeSection.invalid("resend_cooldown_seconds", "expected 0 to 86400 seconds, found \(cooldown)")
            }
            guard (1...10_000).contains(perContact) else {
                throw intakeSection.invalid("codes_per_contact", "expected 1 to 10000, found \(perContact)")
            }
            guard (1...1_000_000).contains(perBlock) else {
                throw intakeSection.invalid("codes_per_phone_block", "expected 1 to 1000000, found \(perBlock)")
            }
            try intakeSection.rejectUnknownKeys()
        }
        intake = IntakeLimits(
            window: TimeInterval(windowMinutes * 60), filings: filings, resends: resends, resendCooldown: TimeInterval(cooldown),
            codesPerContact: perContact)
        intake.codesPerPhoneBlock = perBlock

        let exportsSection = try services?.optionalSection("exports")
        let retentionDays = try exportsSection?.int("retention_days", default: 30) ?? 30
        if let exportsSection {
            guard (1...3_650).contains(retentionDays) else {
                throw exportsSection.invalid("retention_days", "expected 1 to 3650 days, found \(retentionDays)")
            }
            try exportsSection.rejectUnknownKeys()
        }
        exportRetention = TimeInterval(retentionDays) * 86_400

        let notifierSection = try services?.optionalSection("notifier")
        notifierDriver = try notifierSection?.choice("driver", default: NotifierDriver.outbox).rawValue ?? "outbox"
        mailDrop = try notifierSection?.optionalString("mail_drop").map { DataMap.resolve($0, against: baseDirectory) }
        let undeliveredDays = try notifierSection?.int("undelivered_days", default: 30) ?? 30
        if let notifierSection, !(1...3_650).contains(undeliveredDays) {
            throw notifierSection.invalid("undelivered_days", "expected 1 to 3650 days, found \(undeliveredDays)")
        }
        undeliveredRetention = TimeInterval(undeliveredDays * 86_400)
        try notifierSection?.rejectUnknownKeys()
        let auditSection = try services?.optionalSection("audit")
        auditSigningKey = try auditSection?.optionalString("signing_key").map { DataMap.resolve($0, against: baseDirectory) }
        var isFolder: ObjCBool = false
        if let auditSection, let key = auditSigningKey, FileManager.default.fileExists(atPath: key, isDirectory: &isFolder) {
            guard !isFolder.boolValue else {
                throw auditSection.invalid("signing_key", "\(key) is a folder; name the key file (created on first use)")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: key)[.size] as? Int) ?? -1
            guard FileManager.default.isReadableFile(atPath: key), size == 32 else {
                throw auditSection.invalid("signing_key", "\(key) is not a readable Ed25519 key file (32 bytes)")
            }
        }
        auditPublicKey =
            try auditSection?.optionalString("public_key").map { DataMap.resolve($0, against: baseDirectory) }
            ?? auditSigningKey.map { $0 + ".pub" }
        publishedCheckpoints =
            auditPublicKey == nil
            ? nil
            : DataMap.resolve(
                try auditSection?.string("published_checkpoints", default: "data/audit-checkpoints") ?? "data/audit-checkpoints",
                against: baseDirectory)
        try auditSection?.rejectUnknownKeys()
        try services?.rejectUnknownKeys()

        if root.isMapping("data_map") {
            dataMap = try DataMap(section: root.section("data_map"), baseDirectory: baseDirectory)
            dataMap?.timeZone = timeZone
        } else if let file = try root.optionalString("data_map") {
            let path = DataMap.resolve(file, against: baseDirectory)
            let mapRoot: ConfigSection
            do {
                mapRoot = try ConfigSection.load(path: path)
            } catch  where error.line <= 1 && error.keyPath.isEmpty && !FileManager.default.isReadableFile(atPath: path) {
                throw root.invalid("data_map", "the data map file \(path): \(error.message)")
            }
            dataMap = try DataMap(section: mapRoot, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
            dataMap?.timeZone = timeZone
        } else {
            dataMap = nil
        }
        if let dataMap, dataMap.vaultPath == store.path {
            throw dataMap.location.error("vault: the key vault needs its own file, apart from the ledger (services.store.path)")
        }
    }

    private enum NotifierDriver: String, CaseIterable { case outbox }

    /// A path from the deployment file, resolved against the deployment's folder.
    private static func resolve(_ path: String, against base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).path
    }

    private static func deadline(_ policy: ConfigSection, timeZone: TimeZone) throws(ConfigError) -> DeadlinePolicy {
        let section = try policy.section("deadline")
        let (days, months) = try deadlinePeriod(section)
        let business = try section.bool("business_days", default: false)
        if business, months > 0 { throw section.invalid("business_days", "business days count days, not months") }
        let holidays = try section.strings("holidays")
        for holiday in holidays where Timestamp.date(holiday) == nil || holiday.count != 10 {
            throw section.invalid("holidays", "expected dates as yyyy-MM-dd, found '\(holiday)'")
        }
        try section.rejectUnknownKeys()
        var extensionDays = 0
        var extensionMonths = 0
        var extensionBusiness = business
        if let extensionSection = try policy.optionalSection("extension") {
            (extensionDays, extensionMonths) = try deadlinePeriod(extensionSection)
            extensionBusiness = try extensionSection.bool("business_days", default: business && extensionMonths == 0)
            try extensionSection.rejectUnknownKeys()
        }
        var deadline = DeadlinePolicy(
            days: days, businessDays: business, extensionDays: extensionDays, extensionBusinessDays: extensionBusiness,
            holidays: Set(holidays), timeZone: timeZone)
        deadline.months = months
        deadline.extensionMonths = extensionMonths
        return deadline
    }

    /// `days` (1 to 3650) or `months` (1 to 120), exactly one.
    private static func deadlinePeriod(_ section: ConfigSection) throws(ConfigError) -> (days: Int, months: Int) {
        switch (section.contains("days"), section.contains("months")) {
        case (true, false):
            let days = try section.int("days")
            guard (1...3_650).contains(days) else {
                throw section.invalid("days", "expected a positive number of days up to 3650, found \(days)")
            }
            return (days, 0)
        case (false, true):
            let months = try section.int("months")
            guard (1...120).contains(months) else { throw section.invalid("months", "expected 1 to 120 months, found \(months)") }
            return (0, months)
        default:
            throw section.invalid("days", "expected exactly one of days or months")
        }
    }

    private static func repetition(_ section: ConfigSection) throws(ConfigError) -> RepetitionPolicy {
        guard section.contains("window_days") != section.contains("window_months") else {
            throw section.invalid("window_days", "expected exactly one of window_days or window_months")
        }
        let window = try section.int("window_days", default: 0)
        let windowMonths = try section.int("window_months", default: 0)
        guard section.contains("window_months") || (1...3_650).contains(window) else {
            throw section.invalid("window_days", "expected a positive number of days up to 3650, found \(window)")
        }
        guard !section.contains("window_months") || (1...120).contains(windowMonths) else {
            throw section.invalid("window_months", "expected 1 to 120 calendar months, found \(windowMonths)")
        }
        let free = try section.int("free")
        guard (0...10_000).contains(free) else { throw section.invalid("free", "expected 0 to 10000 free requests, found \(free)") }
        let beyond = try section.choice("beyond", default: RepetitionPolicy.Beyond.refuse)
        var fee: FeeQuote?
        var feeValidDays = 14
        if beyond == .fee || (beyond == .review && section.contains("fee")) {
            let feeSection = try section.section("fee")
            let amount = try feeSection.decimal("amount")
            guard amount > 0 else { throw feeSection.invalid("amount", "expected a positive amount, found \(amount)") }
            feeValidDays = try feeSection.int("valid_days", default: 14)
            guard (1...365).contains(feeValidDays) else {
                throw feeSection.invalid("valid_days", "expected 1 to 365 days, found \(feeValidDays)")
            }
            let currency = try feeSection.string("currency")
            guard currency.count == 3, currency.allSatisfy(\.isUppercase) else {
                throw feeSection.invalid("currency", "expected an ISO 4217 code such as CNY, found '\(currency)'")
            }
            try feeSection.rejectUnknownKeys()
            fee = FeeQuote(amount: amount, currency: currency)
        }
        let counted = try section.choice("count", default: RepetitionPolicy.Counted.requests)
        try section.rejectUnknownKeys()
        var policy = RepetitionPolicy(windowDays: window, free: free, beyond: beyond, fee: fee, feeValidDays: feeValidDays)
        policy.counted = counted
        policy.windowMonths = windowMonths
        return policy
    }
}
