import Foundation

/// Where a PostgreSQL database is: `postgres://user@host:port/database`, with the password
/// never in the URL or the deployment file but in the environment variable the deployment
/// names (`password_env`).
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    /// The name of the environment variable holding the password, if one is needed.
    public var passwordVariable: String?

    /// Why a URL cannot name a database, without repeating the URL (it may hold a password).
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String

        package init(description: String) { self.description = description }
    }

    /// The `url` and `password_env` of a configuration section that names a PostgreSQL
    /// database (`services.store`, a data map source); a `path` there is a mistake.
    public init(section: ConfigSection) throws(ConfigError) {
        let url = try section.string("url")
        let variable = try section.optionalString("password_env")
        do {
            try self.init(url: url, passwordVariable: variable)
        } catch {
            throw section.invalid("url", error.description)
        }
        if section.contains("path") { throw section.invalidKey("path", "path names an SQLite file; the postgres driver takes url") }
    }

    public init(url text: String, passwordVariable: String? = nil) throws(Invalid) {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? "") else {
            throw Invalid(description: "expected postgres://user@host:port/database")
        }
        guard url.password == nil else {
            throw Invalid(description: "the URL must not hold a password; name the environment variable that does in password_env")
        }
        guard let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty else {
            throw Invalid(description: "expected postgres://user@host:port/database, with a user and a host")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(description: "the URL names no database (…/database)") }
        self.host = host
        self.port = url.port ?? 5432
        self.user = user
        self.database = database
        self.passwordVariable = passwordVariable
    }
}
