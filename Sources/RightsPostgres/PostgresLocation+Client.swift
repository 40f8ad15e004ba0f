import Foundation
import PostgresNIO
import RightsKernel

extension PostgresLocation {
    /// The client configuration; the password is read from the environment now, so it is never
    /// in a file RightsKit reads.
    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws(Invalid) -> PostgresClient.Configuration
    {
        var password: String?
        if let variable = passwordVariable {
            guard let value = environment[variable] else {
                throw Invalid(description: "the environment variable \(variable) (password_env) is not set")
            }
            password = value
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }

    /// The configuration of a single connection (a probe, a one-off query) outside a pool.
    func connectionConfiguration() throws(Invalid) -> PostgresConnection.Configuration {
        let pooled = try configuration()
        return PostgresConnection.Configuration(
            host: host, port: port, username: pooled.username, password: pooled.password, database: database, tls: .disable)
    }
}
