public import Foundation

/// Where the organisation holds personal data: sources, tables, how rows link to the subject,
/// each field's category, correctability, erasure strategy and retention.
///
/// Keys under `data_map` (inline, or a file named there):
/// - `vault`: the key vault (deployment HMAC key, per-subject encryption keys): an SQLite file,
///   or `{ url, password_env }` for a PostgreSQL database of its own
/// - `sources.<name>`: `path` (a database file, the embedded driver's) or `url` and `password_env`
///   (a server's database, reached by the driver the URL's scheme names), and `driver` to name
///   another registered driver, `tables`, `consent_registry` (`table`, `purpose_column`, `withdrawn_column`)
/// - `tables.<name>`: `key` (row id column, default `rowid`), either `identities` (identity kind →
///   column) or `link` (`column`, `references: table.column`), `retention`, `product_column`,
///   `cancelled` (how a cancelled account is marked: `{ column, value }` or `delete-row`), `fields`
/// - `fields.<column>`: `category`, `correctable`, `correct_at`, `erase` (`delete-row`, `null`,
///   `{ fixed: text }`, `hmac`, `encrypt`, `restrict`), `retention`, `type` (the column's
///   declared type when mapped, which `datamap drift` compares)
/// - `sources.<name>.not_personal`: tables reviewed as holding nothing personal
/// - `retention`: `basis`, one of `days`, `months` or `years` (calendar units in the deployment's
///   timezone), `from` (a date column; a bare date is a local date)
///
/// Names come from configuration and reach SQL, so each must be a plain identifier; a name that
/// is not (an injection attempt, a typo with a quote) is a load error.
public struct DataMap: Sendable, Equatable {
    public var sources: [DataSourceMap]
    /// An absolute path to the key vault's SQLite file, or where its PostgreSQL database is
    /// (`postgres://host:port/database`, for messages).
    public var vaultPath: String
    /// The vault's own database on a server, when `vault` is `{ url, password_env }`.
    public var vaultURL: DatabaseURL?
    /// Where the vault is named, for errors about it.
    public var vaultLocation: ConfigLocation?
    /// The deployment's timezone: bare dates in the organisation's data are local dates there,
    /// and retention periods are counted by its calendar.
    public var timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current
    public var location: ConfigLocation

    public init(sources: [DataSourceMap], vaultPath: String, location: ConfigLocation) {
        self.sources = sources
        self.vaultPath = vaultPath
        self.location = location
    }

    /// Every category the map declares.
    public var categories: Set<DataCategory> {
        Set(sources.flatMap { $0.tables.flatMap { $0.fields.map(\.category) } })
    }

    /// The categories a person may name to correct a field: each maps to exactly one column,
    /// and that column is correctable here. Sorted, for a form to offer.
    public var correctableCategories: [DataCategory] {
        let fields = sources.flatMap { $0.tables.flatMap(\.fields) }
        let counts = Dictionary(grouping: fields, by: \.category)
        return counts.filter { $0.value.count == 1 && $0.value[0].correctable }.keys.sorted()
    }

    /// Parses the `data_map` section; paths resolve against `baseDirectory`.
    public init(section: ConfigSection, baseDirectory: String) throws(ConfigError) {
        location = section.location
        if section.isMapping("vault") {
            let vault = try section.section("vault")
            var location = try DatabaseURL(section: vault)
            location.baseDirectory = baseDirectory
            try vault.rejectUnknownKeys()
            vaultURL = location
            vaultPath = location.displayName
        } else {
            vaultPath = Self.resolve(try Self.plainPath(section, "vault", default: "data/vault.sqlite"), against: baseDirectory)
        }
        vaultLocation = section.location(of: "vault")
        var sources: [DataSourceMap] = []
        for (name, source) in try section.section("sources").sections() {
            try Self.checkIdentifier(name, at: source.location)
            // A source given by url is reached by the driver its scheme names, unless it says otherwise.
            let database = try DatabaseLocation(section: source, baseDirectory: baseDirectory)
            var tables: [MappedTable] = []
            for (tableName, table) in try source.section("tables").sections() {
                tables.append(try Self.table(tableName, table))
            }
            var registry: ConsentRegistryMap?
            if let section = try source.optionalSection("consent_registry") {
                let table = try section.string("table")
                let purpose = try section.string("purpose_column")
                let withdrawn = try section.string("withdrawn_column")
                for (key, name) in [("table", table), ("purpose_column", purpose), ("withdrawn_column", withdrawn)] {
                    try Self.checkIdentifier(name, at: section.location(of: key))
                }
                guard tables.contains(where: { $0.name == table }) else {
                    throw section.invalid(
                        "table", "the consent registry must be one of the mapped tables of this source; '\(table)' is not")
                }
                try section.rejectUnknownKeys()
                registry = ConsentRegistryMap(table: table, purposeColumn: purpose, withdrawnColumn: withdrawn, location: section.location)
            }
            let notPersonal = try source.strings("not_personal")
            for name in notPersonal { try Self.checkIdentifier(name, at: source.location(of: "not_personal")) }
            if let both = notPersonal.first(where: { name in tables.contains { $0.name == name } }) {
                throw source.invalid("not_personal", "'\(both)' is mapped under tables, so it cannot also be listed as not personal")
            }
            try source.rejectUnknownKeys()
            var mapped = DataSourceMap(
                name: name, driver: database.driver, path: database.path, tables: tables, consentRegistry: registry,
                location: source.location)
            mapped.url = database.url
            mapped.notPersonal = notPersonal
            sources.append(mapped)
        }
        guard !sources.isEmpty else { throw section.invalid("sources", "expected at least one data source") }
        let vault = vaultPath
        if let shared = sources.first(where: { $0.path == vault }) {
            throw section.invalid(
                "vault",
                "the key vault needs its own file; it names the database of source '\(shared.name)', where destroying a key would not shred it"
            )
        }
        try section.rejectUnknownKeys()
        self.sources = sources
        try checkLinks()
    }

    private static func table(_ name: String, _ section: ConfigSection) throws(ConfigError) -> MappedTable {
        try checkIdentifier(name, at: section.location)
        let key = try section.string("key", default: "rowid")
        try checkIdentifier(key, at: section.location(of: "key"))
        let link: MappedTable.Link
        let linkLocation: ConfigLocation
        switch (section.contains("identities"), section.contains("link")) {
        case (true, false):
            let identities = try section.section("identities")
            var columns: [String: String] = [:]
            for kind in identities.keys {
                let column = try identities.string(kind)
                try checkIdentifier(column, at: identities.location(of: kind))
                columns[kind] = column
            }
            guard !columns.isEmpty else { throw section.invalid("identities", "expected at least one identity kind and its column") }
            link = .identities(columns)
            linkLocation = section.location(of: "identities")
        case (false, true):
            let linkSection = try section.section("link")
            let column = try linkSection.string("column")
            try checkIdentifier(column, at: linkSection.location(of: "column"))
            let reference = try linkSection.string("references")
            let parts = reference.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { throw linkSection.invalid("references", "expected table.column, found '\(reference)'") }
            for part in parts { try checkIdentifier(part, at: linkSection.location(of: "references")) }
            try linkSection.rejectUnknownKeys()
            link = .parent(column: column, table: parts[0], referencedColumn: parts[1])
            linkLocation = linkSection.location(of: "references")
        default:
            throw section.invalid(
                "link",
                "expected either `identities` (columns holding the subject's identities) or `link` (a foreign key to another mapped table), not both or neither"
            )
        }
        let retention = try section.optionalSection("retention").map(retentionRule)
        let productColumn = try section.optionalString("product_column")
        if let productColumn { try checkIdentifier(productColumn, at: section.location(of: "product_column")) }
        var cancellation: AccountCancellationMark?
        if section.isMapping("cancelled") {
            let mark = try section.section("cancelled")
            let column = try mark.string("column")
            try checkIdentifier(column, at: mark.location(of: "column"))
            cancellation = .status(column: column, value: try mark.string("value"))
            try mark.rejectUnknownKeys()
        } else if let text = try section.optionalString("cancelled") {
            guard text == "delete-row" else {
                throw section.invalid("cancelled", "expected `{ column: status, value: cancelled }` or `delete-row`, found '\(text)'")
            }
            cancellation = .deleteRow
        }
        if cancellation != nil, case .parent = link {
            throw section.invalid("cancelled", "only a table that links rows by identity holds the account itself")
        }
        var fields: [MappedField] = []
        for (column, field) in try section.section("fields").sections() {
            fields.append(try self.field(column, field))
        }
        try section.rejectUnknownKeys()
        var table = MappedTable(
            name: name, key: key, link: link, fields: fields, retention: retention, productColumn: productColumn,
            location: section.location, linkLocation: linkLocation)
        table.cancellation = cancellation
        return table
    }

    private static func field(_ column: String, _ section: ConfigSection) throws(ConfigError) -> MappedField {
        try checkIdentifier(column, at: section.location)
        let categoryName = try section.string("category")
        guard DataCategory.isValid(categoryName) else {
            throw section.invalid("category", "expected a dotted lowercase category such as user.contact.email, found '\(categoryName)'")
        }
        let correctAt = try section.optionalString("correct_at")
        let correctable = try section.bool("correctable", default: false)
        if correctable, correctAt != nil {
            throw section.invalid("correct_at", "a correctable field is corrected here; correct_at is for fields changed elsewhere")
        }
        let erasure: ErasureStrategy
        if section.isNull("erase") {
            section.markUsed(["erase"])
            erasure = .null
        } else if section.isMapping("erase") {
            let fixed = try section.section("erase")
            erasure = .fixed(try fixed.string("fixed"))
            try fixed.rejectUnknownKeys()
        } else {
            let name = try section.string("erase", default: "null")
            switch name {
            case "delete-row": erasure = .deleteRow
            case "null": erasure = .null
            case "hash", "sha256":
                throw section.invalid(
                    "erase",
                    "an unkeyed hash is not erasure: anyone can hash a guessed value (a name, a phone number) and find it; use `hmac`, keyed with the vault's deployment key"
                )
            case "hmac": erasure = .hmac
            case "encrypt": erasure = .encrypt
            case "restrict": erasure = .restrict
            case "fixed": throw section.invalid("erase", "a fixed replacement is written `erase: { fixed: \"text\" }`")
            default:
                let hint = Spelling.closest(to: name, in: ErasureStrategy.names).map { " (did you mean '\($0)'?)" } ?? ""
                throw section.invalid("erase", "expected one of \(ErasureStrategy.names.joined(separator: ", ")), found '\(name)'\(hint)")
            }
        }
        let retention = try section.optionalSection("retention").map(retentionRule)
        let shared = try section.bool("shared", default: false)
        let declaredType = try section.optionalString("type")
        try section.rejectUnknownKeys()
        var field = MappedField(
            column: column, category: DataCategory(categoryName), correctable: correctable, correctAt: correctAt, erasure: erasure,
            retention: retention, location: section.location)
        field.shared = shared
        field.declaredType = declaredType
        return field
    }

    private static func retentionRule(_ section: ConfigSection) throws(ConfigError) -> RetentionRule {
        let basis = try section.string("basis")
        let period = try section.calendarPeriod()
        let from = try section.string("from")
        try checkIdentifier(from, at: section.location(of: "from"))
        try section.rejectUnknownKeys()
        return RetentionRule(basis: basis, period: period, from: from, location: section.location(of: "from"))
    }

    /// Every link must reach a mapped table of the same source, without a cycle.
    private func checkLinks() throws(ConfigError) {
        for source in sources {
            for table in source.tables {
                var seen: Set<String> = [table.name]
                var current = table
                while case .parent(_, let parentName, _) = current.link {
                    guard let parent = source.table(parentName) else {
                        let known = source.tables.map(\.name)
                        let hint = Spelling.closest(to: parentName, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                        throw current.linkLocation.error(
                            "links to '\(parentName)', which is not a mapped table of source '\(source.name)'\(hint)")
                    }
                    guard seen.insert(parent.name).inserted else {
                        throw table.linkLocation.error(
                            "the links from '\(table.name)' form a cycle and never reach a table with identities")
                    }
                    current = parent
                }
            }
        }
    }

    /// A file path without control characters (a NUL or a newline in a path is a typo that would
    /// name another file, or none).
    package static func plainPath(_ section: ConfigSection, _ key: String, default fallback: String? = nil) throws(ConfigError) -> String {
        let path: String
        if let fallback {
            path = try section.string(key, default: fallback)
        } else {
            path = try section.string(key)
        }
        guard !path.isEmpty, path.count <= 4_096, !path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw section.invalid(key, "expected a file path without control characters")
        }
        return path
    }

    /// Whether a name is a plain SQL identifier: letters, digits and `_`, starting with a letter
    /// or `_`, at most 64 characters. Only such names reach SQL from a map.
    package static func isPlainIdentifier(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && (name.first.map { $0.isASCII && ($0.isLetter || $0 == "_") } ?? false)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// Names reach SQL, so only plain identifiers are accepted.
    static func checkIdentifier(_ name: String, at location: ConfigLocation) throws(ConfigError) {
        guard isPlainIdentifier(name) else {
            throw location.error("'\(name)' is not a plain SQL identifier (letters, digits and _, starting with a letter or _)")
        }
    }

    package static func resolve(_ path: String, against base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }
}
