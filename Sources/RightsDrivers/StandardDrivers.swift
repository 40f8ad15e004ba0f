import RightsPostgres
package import RightsStorage
import RightsStore

extension StorageDrivers {
    /// The drivers RightsKit ships: SQLite, the embedded default, and PostgreSQL. The CLI,
    /// `serve`, the test harness and a package composing its own `rightskit` open every
    /// ledger, data source and vault through these.
    package static let standard = StorageDrivers([SQLiteDriver(), PostgresDriver()])
}
