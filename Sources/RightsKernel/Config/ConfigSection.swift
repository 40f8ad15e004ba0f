public import Foundation
import Yams

/// One mapping of a deployment file, handed to the component it configures.
///
/// Readers record which keys they used; ``rejectUnknownKeys()`` then reports any key nobody
/// read, so a typo is an error instead of a silently ignored setting. Every error carries the
/// file, line, column and key path of the offending node.
public final class ConfigSection {
    /// The file the section came from, as given to the loader.
    public let file: String
    /// The dotted key path of this section (`rights.erasure`), empty at the document root.
    public let keyPath: String
    private let pairs: [(key: String, keyNode: Node, value: Node)]
    private let mark: Mark?
    private var used: Set<String> = []

    init(node: Node, file: String, keyPath: String) throws(ConfigError) {
        self.file = file
        self.keyPath = keyPath
        self.mark = node.mark
        switch node {
        case .mapping(let mapping):
            var pairs: [(String, Node, Node)] = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw ConfigError(
                        file: file, line: key.mark?.line ?? 1, column: key.mark?.column ?? 1, keyPath: keyPath,
                        message: "expected a plain key")
                }
                pairs.append((name, key, value))
            }
            self.pairs = pairs
        case .scalar(let scalar) where scalar.tag == Tag(.null) || scalar.string.isEmpty:
            self.pairs = []
        default:
            throw ConfigError(
                file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, keyPath: keyPath,
                message: "expected a mapping of keys to values, found \(Self.kind(of: node))")
        }
    }

    /// Parses a YAML document whose root is a mapping.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> ConfigSection {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw ConfigError(file: file, line: 1, column: 1, keyPath: "", message: "cannot read YAML: \(error)")
        }
        return try ConfigSection(node: root ?? Node(""), file: file, keyPath: "")
    }

    /// The largest deployment file read: a real one is a few kilobytes.
    public static let maximumFileSize = 1 << 20

    /// Reads and parses a deployment file: UTF-8, at most ``maximumFileSize`` bytes; a file
    /// that cannot be read is reported at its first line, an encoding error at the line it is on.
    public static func load(path: String) throws(ConfigError) -> ConfigSection {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            guard size <= maximumFileSize else {
                throw ConfigError(
                    file: path, line: 1, column: 1, keyPath: "",
                    message: "the file is \(size) bytes; a deployment file is at most \(maximumFileSize) bytes")
            }
            guard attributes[.type] as? FileAttributeType != .typeDirectory else {
                throw ConfigError(file: path, line: 1, column: 1, keyPath: "", message: "is a folder, not a deployment file")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as ConfigError {
            throw error
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file (check its permissions)" : "no such file"
            throw ConfigError(file: path, line: 1, column: 1, keyPath: "", message: reason)
        }
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]) {
            throw ConfigError(file: path, line: 1, column: 1, keyPath: "", message: "the file is UTF-16; save it as UTF-8")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            var line = 1
            for bytes in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                if String(data: Data(bytes), encoding: .utf8) == nil { break }
                line += 1
            }
            throw ConfigError(
                file: path, line: line, column: 1, keyPath: "", message: "this line is not valid UTF-8; save the file as UTF-8")
        }
        return try parse(yaml: text, file: path)
    }

    /// Line of the section's first key (1-based).
    public var line: Int { mark?.line ?? 1 }
    public var column: Int { mark?.column ?? 1 }

    /// The keys present, in file order.
    public var keys: [String] { pairs.map(\.key) }
    public func contains(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    // MARK: Reading values

    /// A required string.
    public func string(_ key: String) throws(ConfigError) -> String {
        guard let value = try optionalString(key) else { throw missing(key, expected: "a string") }
        return value
    }

    public func string(_ key: String, default fallback: String) throws(ConfigError) -> String {
        try optionalString(key) ?? fallback
    }

    public func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let node = value(key) else { return nil }
        guard let scalar = node.scalar, scalar.tag != Tag(.null) else { throw wrongType(key, node, expected: "a string") }
        return scalar.string
    }

    /// A required integer.
    public func int(_ key: String) throws(ConfigError) -> Int {
        guard let value = try optionalInt(key) else { throw missing(key, expected: "an integer") }
        return value
    }

    public func int(_ key: String, default fallback: Int) throws(ConfigError) -> Int {
        try optionalInt(key) ?? fallback
    }

    /// An integer within `range`, the bound named in the error: every number a deployment sets
    /// is bounded, so no setting can overflow arithmetic or make a loop run for ever.
    public func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try int(key, default: fallback)
        guard range.contains(value) else { throw invalid(key, "expected \(range.lowerBound) to \(range.upperBound), found \(value)") }
        return value
    }

    public func optionalInt(_ key: String) throws(ConfigError) -> Int? {
        guard let node = value(key) else { return nil }
        guard let scalar = node.scalar, scalar.style == .plain, let number = node.int else {
            throw wrongType(key, node, expected: "an integer")
        }
        return number
    }

    /// A decimal number (amounts of money).
    public func decimal(_ key: String) throws(ConfigError) -> Decimal {
        guard let node = value(key) else { throw missing(key, expected: "a number") }
        guard let scalar = node.scalar, scalar.style == .plain, node.float != nil, let number = Decimal(string: scalar.string) else {
            throw wrongType(key, node, expected: "a number")
        }
        return number
    }

    public func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let node = value(key) else { return fallback }
        guard let scalar = node.scalar, scalar.style == .plain, let flag = node.bool else {
            throw wrongType(key, node, expected: "true or false")
        }
        return flag
    }

    /// A list of strings; a single string is accepted as a list of one.
    public func strings(_ key: String, default fallback: [String] = []) throws(ConfigError) -> [String] {
        guard let node = value(key) else { return fallback }
        if case .scalar(let scalar) = node, scalar.tag != Tag(.null) { return [scalar.string] }
        guard case .sequence(let sequence) = node else { throw wrongType(key, node, expected: "a list of strings") }
        var result: [String] = []
        for item in sequence {
            guard let scalar = item.scalar else {
                throw located(item, key: key, "expected a string in the list, found \(Self.kind(of: item))")
            }
            result.append(scalar.string)
        }
        return result
    }

    /// One of a fixed set of values, listed in the error when the value is not one of them.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) throws(ConfigError) -> Choice
    where Choice.RawValue == String {
        guard let raw = try optionalString(key) else { return fallback }
        guard let value = Choice(rawValue: raw) else {
            let allowed = Choice.allCases.map(\.rawValue)
            let hint = Spelling.closest(to: raw, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
            throw invalid(key, "expected one of \(allowed.joined(separator: ", ")), found '\(raw)'\(hint)")
        }
        return value
    }

    /// A file or folder path, resolved against the folder of the deployment file.
    public func path(_ key: String, default fallback: String) throws(ConfigError) -> String {
        let raw = try string(key, default: fallback)
        if raw.hasPrefix("/") { return raw }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(raw).standardizedFileURL.path
    }

    /// A required nested mapping.
    public func section(_ key: String) throws(ConfigError) -> ConfigSection {
        guard let section = try optionalSection(key) else { throw missing(key, expected: "a mapping") }
        return section
    }

    public func optionalSection(_ key: String) throws(ConfigError) -> ConfigSection? {
        guard let node = value(key) else { return nil }
        return try ConfigSection(node: node, file: file, keyPath: path(key))
    }

    /// Every entry of this mapping as a nested section, in file order (for maps such as `rights:`).
    public func sections() throws(ConfigError) -> [(key: String, section: ConfigSection)] {
        var result: [(key: String, section: ConfigSection)] = []
        for pair in pairs {
            used.insert(pair.key)
            result.append((pair.key, try ConfigSection(node: pair.value, file: file, keyPath: path(pair.key))))
        }
        return result
    }

    /// Whether `key` is present with an empty value (`key:` or `key: null`).
    public func isNull(_ key: String) -> Bool {
        guard case .scalar(let scalar) = pairs.first(where: { $0.key == key })?.value else { return false }
        return scalar.tag == Tag(.null)
    }

    /// Whether `key` holds a mapping (as opposed to a scalar such as a file name).
    public func isMapping(_ key: String) -> Bool {
        if case .mapping = pairs.first(where: { $0.key == key })?.value { return true }
        return false
    }

    /// Where `key`'s value sits, kept by models that validate later (against a database schema).
    public func location(of key: String) -> ConfigLocation {
        let node = pairs.first { $0.key == key }?.value
        return ConfigLocation(file: file, line: node?.mark?.line ?? line, column: node?.mark?.column ?? column, keyPath: path(key))
    }

    /// Where this section sits.
    public var location: ConfigLocation {
        ConfigLocation(file: file, line: line, column: column, keyPath: keyPath)
    }

    /// A required list of mappings (such as a register of processing activities), each as a
    /// section whose key path carries its index.
    public func sections(list key: String) throws(ConfigError) -> [ConfigSection] {
        guard let node = value(key) else { throw missing(key, expected: "a list of mappings") }
        guard case .sequence(let sequence) = node else { throw wrongType(key, node, expected: "a list of mappings") }
        var result: [ConfigSection] = []
        for (index, item) in sequence.enumerated() {
            result.append(try ConfigSection(node: item, file: file, keyPath: path("\(key)[\(index)]")))
        }
        return result
    }

    // MARK: Errors

    /// An error located at `key`'s value (or at this section when the key is absent).
    public func invalid(_ key: String, _ message: String) -> ConfigError {
        let node = pairs.first { $0.key == key }?.value
        return ConfigError(
            file: file, line: node?.mark?.line ?? line, column: node?.mark?.column ?? column, keyPath: path(key), message: message)
    }

    /// An error located at `key` itself (for unknown or misspelt keys).
    public func invalidKey(_ key: String, _ message: String) -> ConfigError {
        let node = pairs.first { $0.key == key }?.keyNode
        return ConfigError(
            file: file, line: node?.mark?.line ?? line, column: node?.mark?.column ?? column, keyPath: path(key), message: message)
    }

    /// Fails on the first key that no reader used, suggesting the closest known key.
    public func rejectUnknownKeys(known extra: [String] = []) throws(ConfigError) {
        let known = used.union(extra)
        for pair in pairs where !known.contains(pair.key) {
            let hint = Spelling.closest(to: pair.key, in: known).map { " (did you mean '\($0)'?)" } ?? ""
            let list = known.isEmpty ? "no keys are allowed here" : "known keys: \(known.sorted().joined(separator: ", "))"
            throw invalidKey(pair.key, "unknown key\(hint); \(list)")
        }
    }

    /// Fails with a located "missing required key" unless `key` is present.
    public func require(_ key: String) throws(ConfigError) {
        guard contains(key) else { throw missing(key, expected: "a value") }
    }

    /// Marks keys as read when a caller inspects them without the typed readers.
    public func markUsed(_ keys: [String]) { used.formUnion(keys) }

    // MARK: Private

    private func value(_ key: String) -> Node? {
        used.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    private func path(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

    private func missing(_ key: String, expected: String) -> ConfigError {
        ConfigError(file: file, line: line, column: column, keyPath: path(key), message: "missing required key; expected \(expected)")
    }

    private func wrongType(_ key: String, _ node: Node, expected: String) -> ConfigError {
        located(node, key: key, "expected \(expected), found \(Self.kind(of: node))")
    }

    private func located(_ node: Node, key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line ?? line, column: node.mark?.column ?? column, keyPath: path(key), message: message)
    }

    private static func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar) where scalar.tag == Tag(.null): "nothing"
        case .scalar(let scalar): "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    private static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, keyPath: "", message: "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                file: file, line: context.mark.line, column: context.mark.column, keyPath: "",
                message: "duplicated key(s): \(duplicates.sorted().joined(separator: ", "))")
        case .reader(let problem, _, _, _):
            return ConfigError(file: file, line: 1, column: 1, keyPath: "", message: "YAML cannot be read: \(problem)")
        default:
            return ConfigError(file: file, line: 1, column: 1, keyPath: "", message: "YAML error: \(error)")
        }
    }
}
