import Foundation
package import Logging
import PostgresNIO
import RightsKernel

/// Plain SQL on a PostgreSQL database, each value as text (NULL as nil), as an operator or a
/// test checks what a connector left behind.
package enum PostgresRows {
    package static func fetch(_ sql: String, at location: PostgresLocation, logger unlimited: Logger = Logger(label: "rightskit.sql"))
        async throws -> [[String: String?]]
    {
        let logger = unlimited.forDatabaseDriver
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 0, logger: logger)
        do {
            var rows: [[String: String?]] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                var values: [String: String?] = [:]
                for cell in row { values[cell.columnName] = try cell.sqlValue.text }
                rows.append(values)
            }
            try await connection.close()
            return rows
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
