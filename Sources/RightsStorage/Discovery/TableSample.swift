package import Foundation

/// A bounded sample of one table, summarised per column: counts for classification, and up to
/// ``keptValues`` distinct values of each column, in memory only, to test an undeclared link
/// against its parent. Nothing of it is ever written out.
package struct TableSample: Sendable {
    package var rows = 0
    package var evidence: [String: ColumnEvidence] = [:]
    package var values: [String: Set<String>] = [:]

    static let keptValues = 64

    /// Reads at most `limit` rows of `table` in a read-only transaction of its own, so no lock
    /// outlives the one statement. On a database that samples pages, a large table is read
    /// through about enough of its pages for `limit` rows; elsewhere the `LIMIT` bounds it.
    package static func read(
        _ table: String, columns: [SchemaFacts.Column], estimatedRows: Int?, limit: Int, from executor: any StorageExecutor, today: Date
    ) async throws -> TableSample {
        let readable = columns.filter { !isBinary($0.type) }
        guard !readable.isEmpty, limit > 0 else { return TableSample() }
        let list = readable.map { "CAST(\(quoted($0.name)) AS TEXT)" }.joined(separator: ", ")
        var from = quoted(table)
        if let estimatedRows, estimatedRows > limit * 20, let pageSample = executor.dialect.pageSample {
            // Three times the share needed, as pages hold rows unevenly.
            let percent = min(100, max(0.001, Double(limit) * 300 / Double(estimatedRows)))
            from += " " + pageSample((percent * 1000).rounded() / 1000)
        }
        let statement = SQLStatement(stringLiteral: "SELECT \(list) FROM \(from) LIMIT \(limit)")
        let names = readable.map(\.name)
        return try await executor.snapshot { connection in
            var sample = TableSample()
            try await connection.forEachRow(statement) { row in
                sample.rows += 1
                for (index, name) in names.enumerated() {
                    guard case .text(let text) = row.values[index] else { continue }
                    sample.evidence[name, default: ColumnEvidence()].count(text, today: today)
                    if sample.values[name, default: []].count < keptValues { sample.values[name, default: []].insert(text) }
                }
            }
            return sample
        }
    }

    static func isBinary(_ type: String) -> Bool {
        let lower = type.lowercased()
        return lower.contains("blob") || lower == "bytea"
    }
}
