import Foundation
import NIOSSL
package import PostgresNIO
public import RightsKernel

/// A database the PostgreSQL driver can reach: a ``DatabaseURL`` whose scheme is `postgres` or
/// `postgresql` (port 5432 unless it says), the password in the environment variable the
/// deployment names, and how the connection is protected (`sslmode`, `sslrootcert`, as libpq
/// names them).
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var passwordVariable: String?
    public var tls: TLSMode
    /// The CA certificates (PEM) that `verify-full` trusts; nil for the system's.
    public var caFile: String?

    /// How the connection is protected, as libpq's `sslmode` says it.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP: only for a server on this machine.
        case disable
        /// Encrypted, the server's certificate not checked.
        case require
        /// Encrypted, the certificate checked against the CA and the host name: the default for
        /// any host that is not loopback.
        case verifyFull = "verify-full"
    }

    /// The URL parameters the driver reads; any other is refused at load.
    static let knownParameters = ["sslmode", "sslrootcert"]

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
        if let unknown = url.parameters.keys.sorted().first(where: { !Self.knownParameters.contains($0) }) {
            throw Invalid(description: "unknown URL parameter '\(unknown)'; known: \(Self.knownParameters.joined(separator: ", "))")
        }
        let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
        if let mode = url.parameters["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw Invalid(
                    description: "sslmode '\(mode)' is not supported; expected \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            tls = parsed
        } else {
            tls = loopback ? .disable : .verifyFull
        }
        caFile = url.parameters["sslrootcert"].map {
            DataMap.resolve($0, against: url.baseDirectory ?? FileManager.default.currentDirectoryPath)
        }
        if let caFile {
            guard tls == .verifyFull else { throw Invalid(description: "sslrootcert is only read with sslmode=verify-full") }
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw Invalid(description: "sslrootcert: \(caFile) is not a readable certificate file")
            }
        }
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
            host: host, port: port, username: user, password: password, database: database,
            tls: try tlsSettings().map { .require($0) } ?? .disable)
    }

    /// The configuration of a single connection (a probe, a one-off query) outside a pool.
    package func connectionConfiguration() throws(Invalid) -> PostgresConnection.Configuration {
        let pooled = try configuration()
        var tls = PostgresConnection.Configuration.TLS.disable
        if let settings = try tlsSettings() {
            do {
                tls = .require(try NIOSSLContext(configuration: settings))
            } catch {
                throw Invalid(description: "TLS cannot be set up: \(error)")
            }
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: pooled.username, password: pooled.password, database: database, tls: tls)
    }

    /// The TLS settings `sslmode` asks for; nil for a plain connection.
    func tlsSettings() throws(Invalid) -> TLSConfiguration? {
        var settings = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable: return nil
        case .require: settings.certificateVerification = .none
        case .verifyFull:
            settings.certificateVerification = .fullVerification
            if let caFile {
                do {
                    settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                } catch {
                    throw Invalid(description: "sslrootcert: \(caFile) holds no PEM certificate")
                }
            }
        }
        return settings
    }

    /// Why connecting failed, in words an operator can act on; never a password.
    package static func reason(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        if error.code == .sslUnsupported { return "the server does not offer TLS, which sslmode requires" }
        switch error.underlying {
        case let failure as NIOSSLExtraError where failure == .failedToValidateHostname:
            return "TLS: the server's certificate is not for this host name (sslmode=verify-full)"
        case let failure as NIOSSLError:
            return "TLS: the server's certificate could not be verified against the trusted CAs (sslmode=verify-full): \(failure)"
        default: return "\(error.code)"
        }
    }
}
