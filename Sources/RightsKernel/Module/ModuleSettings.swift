import Foundation

/// A module's own settings: a value decoded from its section of the deployment file, every key
/// declared once with its type, default and meaning, so the kernel reports a misspelt key with
/// a suggestion before anything is read and `rightskit modules --describe` prints the keys from
/// the same declaration.
///
/// ```swift
/// struct Settings: ModuleSettings {
///     var maxLength = 500
///     static var keys: [SettingKey<Self>] {
///         [SettingKey("max_length", \.maxLength, in: 1...2_000, "the longest corrected value")]
///     }
/// }
/// ```
public protocol ModuleSettings: Sendable {
    /// The settings of a section that sets nothing: every key's default.
    init()
    /// Every key the section may hold, in the order they are described.
    static var keys: [SettingKey<Self>] { get }
    /// Checks the settings as a whole once every key is read; errors name a key of `section`.
    func validate(in section: ConfigSection) throws(ConfigError)
}

extension ModuleSettings {
    public func validate(in section: ConfigSection) throws(ConfigError) {}

    /// Reads every declared key of `section` over the defaults, then validates the whole.
    public static func decode(_ section: ConfigSection) throws -> Self {
        var settings = Self()
        for key in keys { try key.read(&settings, section) }
        try settings.validate(in: section)
        return settings
    }
}

/// The settings of a module that has none.
public struct NoModuleSettings: ModuleSettings {
    public init() {}
    public static var keys: [SettingKey<Self>] { [] }
}

/// One key of a module's section: its name, type, default and meaning, and how it is read.
public struct SettingKey<Settings: ModuleSettings> {
    /// The key as written in YAML (`max_length`).
    public let name: String
    /// The value's type in words (`integer 1 to 2000`, `list of: a, b`).
    public let type: String
    /// The default as written in YAML; nil when the key is required.
    public let defaultValue: String?
    /// What the key does, in one line.
    public let meaning: String
    let read: (inout Settings, ConfigSection) throws -> Void

    /// A key read by `read`, which sets the settings from the section (for nested mappings and
    /// lists), throwing ``ConfigError``; `defaultValue` nil makes the key required.
    public init(
        _ name: String, type: String, default defaultValue: String?, _ meaning: String,
        read: @escaping (inout Settings, ConfigSection) throws -> Void
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.meaning = meaning
        self.read = { (settings: inout Settings, section: ConfigSection) throws in
            if defaultValue == nil { try section.require(name) }
            try read(&settings, section)
        }
    }

    /// A key holding one value of a settings type; the default is the field's value in
    /// `Settings()`.
    public init<Value: SettingValue>(_ name: String, _ field: WritableKeyPath<Settings, Value>, _ meaning: String) {
        self.init(name, type: Value.settingType, default: Settings()[keyPath: field].settingDescription, meaning) { settings, section in
            if section.contains(name) { settings[keyPath: field] = try Value.read(name, from: section) }
        }
    }

    /// An integer key bounded by `range`, the bound named in the error.
    public init(_ name: String, _ field: WritableKeyPath<Settings, Int>, in range: ClosedRange<Int>, _ meaning: String) {
        let fallback = Settings()[keyPath: field]
        self.init(name, type: "integer \(range.lowerBound) to \(range.upperBound)", default: "\(fallback)", meaning) { settings, section in
            settings[keyPath: field] = try section.int(name, default: fallback, in: range)
        }
    }

    /// A file or folder, resolved against the deployment file's folder (the default too).
    public init(path name: String, _ field: WritableKeyPath<Settings, String>, _ meaning: String) {
        let fallback = Settings()[keyPath: field]
        self.init(name, type: "path (relative to the deployment file)", default: fallback, meaning) { settings, section in
            settings[keyPath: field] = try section.path(name, default: fallback)
        }
    }
}

/// One key of a module's section as `rightskit modules --describe` shows it.
public struct SettingDescription: Sendable, Equatable, Codable {
    public var name: String
    public var type: String
    /// The default as written in YAML; nil when the key is required.
    public var defaultValue: String?
    public var meaning: String
}

/// A type a setting can hold: read from one key, described in words.
public protocol SettingValue {
    /// The type in words, for `modules --describe`.
    static var settingType: String { get }
    /// Reads the value of `key`, which is present in `section`.
    static func read(_ key: String, from section: ConfigSection) throws(ConfigError) -> Self
    /// The value as written in YAML.
    var settingDescription: String { get }
}

/// A value written as one string in YAML: text, a category, one of a fixed set of words.
public protocol SettingToken: SettingValue {
    init?(settingText: String)
    var settingText: String { get }
    /// The values allowed, listed in errors and descriptions; nil for free text.
    static var allowedValues: [String]? { get }
    /// Why a text is refused when there is no fixed list (`expected a dotted category`).
    static var expectation: String { get }
}

extension SettingToken {
    public static var allowedValues: [String]? { nil }
    public static var expectation: String { "expected \(settingType)" }
    public var settingDescription: String { settingText }

    public static func read(_ key: String, from section: ConfigSection) throws(ConfigError) -> Self {
        try parse(section.string(key), key: key, in: section)
    }

    static func parse(_ text: String, key: String, in section: ConfigSection) throws(ConfigError) -> Self {
        if let value = Self(settingText: text) { return value }
        guard let allowed = allowedValues else { throw section.invalid(key, "\(expectation), found '\(text)'") }
        let hint = Spelling.closest(to: text, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
        throw section.invalid(key, "expected one of \(allowed.joined(separator: ", ")), found '\(text)'\(hint)")
    }
}

extension SettingToken where Self: RawRepresentable & CaseIterable, RawValue == String {
    public init?(settingText: String) { self.init(rawValue: settingText) }
    public var settingText: String { rawValue }
    public static var allowedValues: [String]? { allCases.map(\.rawValue) }
    public static var settingType: String { "one of \(allCases.map(\.rawValue).joined(separator: ", "))" }
}

extension String: SettingToken {
    public init?(settingText: String) { self = settingText }
    public var settingText: String { self }
    public static var settingType: String { "text" }
}

extension DataCategory: SettingToken {
    public init?(settingText: String) {
        guard DataCategory.isValid(settingText) else { return nil }
        self.init(settingText)
    }
    public var settingText: String { name }
    public static var settingType: String { "data category (dotted, such as user.financial)" }
    public static var expectation: String { "expected a dotted category such as user.financial" }
}

extension Int: SettingValue {
    public static var settingType: String { "integer" }
    public static func read(_ key: String, from section: ConfigSection) throws(ConfigError) -> Int { try section.int(key) }
    public var settingDescription: String { "\(self)" }
}

extension Bool: SettingValue {
    public static var settingType: String { "true or false" }
    public static func read(_ key: String, from section: ConfigSection) throws(ConfigError) -> Bool {
        try section.bool(key, default: false)
    }
    public var settingDescription: String { "\(self)" }
}

extension Optional: SettingValue where Wrapped: SettingValue {
    public static var settingType: String { Wrapped.settingType }
    public static func read(_ key: String, from section: ConfigSection) throws(ConfigError) -> Wrapped? {
        try Wrapped.read(key, from: section)
    }
    public var settingDescription: String { map(\.settingDescription) ?? "none" }
}

extension Array: SettingValue where Element: SettingToken {
    public static var settingType: String { "list of \(Element.settingType)" }
    /// A list, or a single value as a list of one; every item checked.
    public static func read(_ key: String, from section: ConfigSection) throws(ConfigError) -> [Element] {
        var result: [Element] = []
        for text in try section.strings(key) { result.append(try Element.parse(text, key: key, in: section)) }
        return result
    }
    public var settingDescription: String { "[\(map(\.settingText).joined(separator: ", "))]" }
}

extension VerificationLevel: SettingToken {}
