import Foundation
package import PostgresNIO
public import RightsKernel

/// A database the PostgreSQL driver can reach: a ``DatabaseURL`` whose scheme is `postgres` or
/// `postgresql` (port 5432 unless it says), the password in the environment variable the
/// deployment names.
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var passwordVariable: String?

    public typealias Invalid = DatabaseURL.Invalid

    /// The location `url` names; another scheme is refused.
    public init(_ url: DatabaseURL) throws(Invalid) {
        guard ["postgres", "postgresql"].contains(url.scheme.lowercased()) else {
            throw Invalid(description: "expected postgres://user@host:port/database, found a \(url.scheme) URL")
        }
        host = url.host
        port = url.port ?? 5432
        user = url.user
        database = url.database
        passwordVariable = url.passwordVariable
    }

    /// `postgres://user@host:port/database`, with the password in `passwordVariable`.
    public init(url text: String, passwordVariable: String? = nil) throws(Invalid) {
        try self.init(DatabaseURL(url: text, passwordVariable: passwordVariable))
    }
}

extension PostgresLocation {
    /// The client configuration; the password is read from the environment now, so it is never
    /// in a file RightsKit reads.
    package func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid)
        -> PostgresClient.Configuration
    {
        var password: String?
        if let variable = passwordVariable {
            guard let value = environment[variable] else {
                throw Invalid(description: "the environment variable \(variable) (password_env) is not set")
            }
            password = value
        }
        return PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }

    /// The configuration of a single connection (a probe, a one-off query) outside a pool.
    package func connectionConfiguration() throws(Invalid) -> PostgresConnection.Configuration {
        let pooled = try configuration()
        return PostgresConnection.Configuration(
            host: host, port: port, username: pooled.username, password: pooled.password, database: database, tls: .disable)
    }
}
