package import Logging

extension Logger {
    /// This logger as handed to PostgresNIO: never below info. At debug and trace the driver
    /// logs the messages it receives, data rows included, and personal data never goes to logs.
    package var forDatabaseDriver: Logger {
        var capped = self
        if capped.logLevel < .info { capped.logLevel = .info }
        return capped
    }
}
