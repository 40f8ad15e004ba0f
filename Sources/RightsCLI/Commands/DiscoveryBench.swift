import ArgumentParser
import Foundation
import GRDB
import Logging
import RightsDrivers
import RightsKernel
import RightsStorage

/// `rightskit bench --discover FILE`: `datamap discover` over a large SQLite database
/// (`Benchmarks/discovery/generate.py` writes one), beside a hand-written reader of the same
/// bounded samples in the same run, and a full count of every table for scale.
extension BenchCommand {
    func runDiscovery(_ path: String) async throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("--discover: no database at \(path); Benchmarks/discovery/generate.py writes one")
        }
        let location = ConfigLocation(file: "--discover", line: 0, column: 0, keyPath: "discover")
        let source = DataSourceMap(name: "main", driver: .embedded, path: path, tables: [], location: location)
        var tablesMapped = 0
        var tablesSeen = 0
        let discovery = try await medianAsync {
            let executor = try await StorageDrivers.standard.driver(.embedded, at: location).openDataSource(
                source, readOnly: true, logger: Logger(label: "rightskit.bench"))
            let facts = try await executor.schemaFacts()
            let proposal = try await SchemaDiscovery().propose(facts, on: executor, sourceName: "main", sourceLines: [])
            tablesMapped = proposal.tables.count
            tablesSeen = facts.tables.count
            await executor.close()
        }
        var configuration = Configuration()
        configuration.readonly = true
        let raw = try DatabaseQueue(path: path, configuration: configuration)
        // By hand: the catalogue, then the same bounded sample of every table, every value read as text.
        let byHand = try await medianAsync {
            try await raw.read { db in
                for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                    _ = try Row.fetchAll(db, sql: "PRAGMA table_info(\"\(table)\")")
                    _ = try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\"\(table)\")")
                    let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM \"\(table)\" LIMIT 200")
                    while let row = try cursor.next() { for value in row.databaseValues { _ = value.description } }
                }
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let rows = try await raw.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'").reduce(0) {
                $0 + (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\($1)\"") ?? 0)
            }
        }
        let fullScan = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let peak = Self.peakResidentMiB()
        if json {
            return try Output.json(
                Report(
                    rows: [MeasuredRow(measurement: "discover", byHand: byHand, rightsKit: discovery, ratio: discovery / byHand)],
                    runs: runs,
                    peakResidentMiB: peak))
        }
        Output.line("\(tablesSeen) tables, \(rows) rows; \(tablesMapped) tables proposed")
        Output.line(
            String(
                format: "discovery: %.2f s (median of %d); the same samples read by hand: %.2f s; ratio %.1f×", discovery, runs, byHand,
                discovery / byHand))
        Output.line(String(format: "a full count of every table, for scale: %.2f s; peak resident memory %.0f MiB", fullScan, peak))
    }
}
