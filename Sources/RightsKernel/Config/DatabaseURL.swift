import Foundation

/// Where a database server's database is: `<scheme>://user@host:port/database`, with the
/// password never in the URL or the deployment file but in the environment variable the
/// deployment names (`password_env`). The scheme names the driver that reaches it
/// (`postgres://…`); the kernel reads the URL and leaves its meaning to that driver.
public struct DatabaseURL: Sendable, Equatable {
    public var scheme: String
    public var host: String
    /// The port the URL names; nil for the driver's own default.
    public var port: Int?
    public var user: String
    public var database: String
    /// The name of the environment variable holding the password, if one is needed.
    public var passwordVariable: String?
    /// The URL's query parameters (`?sslmode=verify-full`), for the driver to read; a driver
    /// refuses those it does not know.
    public var parameters: [String: String] = [:]
    /// The deployment file's folder, against which a driver resolves a relative file a parameter
    /// names (a CA certificate); nil for a URL given on the command line (the current folder).
    public var baseDirectory: String?

    /// Why a URL cannot name a database, without repeating the URL (it may hold a password).
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String

        package init(description: String) { self.description = description }
    }

    /// The driver this URL asks for: its scheme.
    public var driver: StorageDriverName { StorageDriverName(scheme) }

    /// `<scheme>://host:port/database`: where the database is, for messages (no user, no password).
    public var displayName: String { "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")/\(database)" }

    /// The URL as a deployment file writes it: with its user, never a password.
    package var withoutPassword: String { "\(scheme)://\(user)@\(host)\(port.map { ":\($0)" } ?? "")/\(database)" }

    /// The `url` and `password_env` of a configuration section that names a database server's
    /// database (`services.store`, a data map source, the vault); a `path` there is a mistake.
    public init(section: ConfigSection) throws(ConfigError) {
        let url = try section.string("url")
        let variable = try section.optionalString("password_env")
        do {
            try self.init(url: url, passwordVariable: variable)
        } catch {
            throw section.invalid("url", error.description)
        }
        if section.contains("path") {
            throw section.invalidKey("path", "path names a database file; a database named by url is reached over the network")
        }
    }

    public init(url text: String, passwordVariable: String? = nil) throws(Invalid) {
        guard let url = URLComponents(string: text), let scheme = url.scheme, !scheme.isEmpty else {
            throw Invalid(description: "expected <driver>://user@host:port/database, such as postgres://user@host:port/database")
        }
        guard url.password == nil else {
            throw Invalid(description: "the URL must not hold a password; name the environment variable that does in password_env")
        }
        guard let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty else {
            throw Invalid(description: "expected \(scheme)://user@host:port/database, with a user and a host")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(description: "the URL names no database (…/database)") }
        self.scheme = scheme
        self.host = host
        self.port = url.port
        self.user = user
        self.database = database
        self.passwordVariable = passwordVariable
        for item in url.queryItems ?? [] {
            guard let value = item.value, !value.isEmpty else {
                throw Invalid(description: "the URL parameter '\(item.name)' has no value")
            }
            guard parameters.updateValue(value, forKey: item.name) == nil else {
                throw Invalid(description: "the URL parameter '\(item.name)' is given twice")
            }
        }
    }
}

/// The name a deployment gives a database driver (`driver: sqlite`, or a URL's scheme). The
/// kernel knows no driver: a composition root registers each one under the names it answers
/// to, as it registers right modules, and opening a name nobody registered is a load error.
public struct StorageDriverName: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    /// The driver of a database given by `path`: the embedded file database, the default.
    public static let embedded: StorageDriverName = "sqlite"

    public var description: String { rawValue }
    public static func < (lhs: StorageDriverName, rhs: StorageDriverName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where one database is, as a deployment names it: a file (`path`) or a server's database
/// (`url`), and the driver that opens it.
public struct DatabaseLocation: Sendable, Equatable {
    public var driver: StorageDriverName
    /// The file, an absolute path resolved against the deployment's folder; for a database
    /// named by URL, where it is (`postgres://host:port/database`), for messages.
    public var path: String
    /// The server's database, when the location is a URL.
    public var url: DatabaseURL?
    /// Where the driver is named (its `driver` key, else the `url` or the section), for the
    /// error when no driver is registered by that name.
    public var driverKey: ConfigLocation?

    public init(driver: StorageDriverName, path: String, url: DatabaseURL? = nil) {
        self.driver = driver
        self.path = path
        self.url = url
    }

    /// `path` or `url` (with `password_env`) of `section`, and `driver`: by default the
    /// embedded one for a path and the URL's scheme for a URL. `defaultPath` is used when
    /// neither is given; nil makes one of them required.
    public init(section: ConfigSection, baseDirectory: String, defaultPath: String? = nil) throws(ConfigError) {
        if section.contains("url") {
            var url = try DatabaseURL(section: section)
            url.baseDirectory = baseDirectory
            self.init(
                driver: StorageDriverName(try section.string("driver", default: url.driver.rawValue)), path: url.displayName, url: url)
        } else {
            let raw = try DataMap.plainPath(section, "path", default: defaultPath)
            let path = DataMap.resolve(raw, against: baseDirectory)
            self.init(driver: StorageDriverName(try section.string("driver", default: StorageDriverName.embedded.rawValue)), path: path)
            driverKey = section.contains("driver") ? section.location(of: "driver") : section.location
        }
    }
}
