import ArgumentParser
import Foundation
import Logging
import RightsDrivers
import RightsKernel
import RightsStorage

/// `rightskit datamap discover` and `rightskit datamap drift`: a first data map proposed from a
/// live database, and the map kept true as the schema changes.
struct DataMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datamap", abstract: "Propose a data map from a live database, and report where the schema drifted from it.",
        subcommands: [Discover.self, Drift.self]
    )

    struct Discover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a data map proposed from a database, read only, every suggestion with its confidence and reason.",
            discussion: """
                Reads the schema and at most --sample-rows rows of each table (a fraction of a large table's pages on PostgreSQL), each table in a read-only transaction of its own; nothing is written and no lock outlives a statement. No sampled value is copied into the output, the logs or an error. Save the output beside the deployment file and name it there: data_map: datamap.yaml.
                """
        )
        @Option(help: "The database: an SQLite file, or postgres://user@host:port/database (no password).") var source: String
        @Option(name: .customLong("password-env"), help: "The environment variable holding the PostgreSQL password.")
        var passwordEnv: String?
        @Option(name: .customLong("source-name"), help: "The source's name in the map.") var sourceName = "main"
        @Option(name: .customLong("sample-rows"), help: "The most rows read from one table.") var sampleRows = 200
        @Option(help: "Write the map to this file instead of printing it.") var output: String?

        func run() async throws {
            guard (1...10_000).contains(sampleRows) else { throw ValidationError("--sample-rows expects 1 to 10000") }
            guard DataMap.isPlainIdentifier(sourceName) else { throw ValidationError("--source-name expects a plain identifier") }
            let reached = try DataMapSource(source: source, passwordEnv: passwordEnv, name: sourceName)
            let executor = try await reached.open()
            let proposal: ProposedDataMap
            do {
                let facts = try await executor.schemaFacts()
                proposal = try await SchemaDiscovery(settings: .init(sampleRows: sampleRows)).propose(
                    facts, on: executor, sourceName: sourceName, sourceLines: reached.lines)
                await executor.close()
            } catch {
                await executor.close()
                throw CommandFailure(.failure, "discovery failed on \(reached.displayName): \(DataMapSource.reason(error))")
            }
            let header = [
                "Proposed by `rightskit datamap discover` from \(reached.displayName), sampling at most \(sampleRows) rows a table.",
                "Review every line: each suggestion's confidence (0 to 1) and reason is the comment beside it. No sampled value is copied here.",
                "Save it beside the deployment file and name it there (`data_map: datamap.yaml`); `rightskit check-config` checks it against the database.",
            ]
            let text = proposal.yaml(header: header)
            if let output {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
                Output.line(
                    "\(output): \(proposal.tables.count) tables mapped, \(proposal.notPersonal.count) not personal, \(proposal.unlinked.count) to link by hand"
                )
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    struct Drift: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the deployment's data map with the live schema; exits 11 when anything drifted.",
            discussion: """
                Reports mapped tables and columns gone, mapped columns whose type changed (against the map's `type`), columns and tables that look personal and are not mapped, and foreign keys onto mapped tables the map does not follow. Reads the databases only, as `datamap discover` does. Exit status: 0 nothing drifted, 11 findings (listed), 3 a mistake in the deployment file, 1 a database unreachable. --json prints {"findings": [{"kind", "source", "table", "column", "category", "detail"}], "sources": [...]}.
                """
        )
        @OptionGroup var options: DeploymentOptions
        @Option(name: .customLong("sample-rows"), help: "The most rows read from one table.") var sampleRows = 200

        func run(registry: ModuleRegistry) async throws {
            let settings = try options.loading { try DeploymentSettings.load(path: options.config) }
            guard let map = settings.dataMap else {
                throw CommandFailure(.invalidConfiguration, "\(options.config): no data_map to compare")
            }
            let findings = try await DataMapSource.drift(of: map, sampleRows: sampleRows, logger: Logger(label: "rightskit.datamap"))
            if options.json {
                struct Report: Encodable {
                    var sources: [String]
                    var findings: [DriftFinding]
                }
                try Output.json(Report(sources: map.sources.map(\.name), findings: findings))
            } else if findings.isEmpty {
                Output.line("\(options.config): the data map matches the live schema of \(map.sources.map(\.name).joined(separator: ", "))")
            } else {
                for finding in findings { Output.line("\(finding.source): \(finding.kind.rawValue): \(finding.detail)") }
            }
            if !findings.isEmpty {
                throw CommandFailure(
                    .dataMapDrift, "\(findings.count) finding\(findings.count == 1 ? "" : "s"): the schema drifted from the data map")
            }
        }
    }
}

/// A database named on the command line or in a map, opened read-only by its driver.
struct DataMapSource {
    var map: DataSourceMap
    var displayName: String
    /// How the proposed map names it.
    var lines: [String]

    init(source: String, passwordEnv: String?, name: String) throws {
        let location = ConfigLocation(file: "--source", line: 0, column: 0, keyPath: "source")
        if source.contains("://") {
            let url: DatabaseURL
            do {
                url = try DatabaseURL(url: source, passwordVariable: passwordEnv)
            } catch {
                throw ValidationError("--source: \(error.description)")
            }
            map = DataSourceMap(name: name, driver: url.driver, path: url.displayName, tables: [], location: location)
            map.url = url
            displayName = url.displayName
            lines = [
                "url: "
                    + ProposedDataMap.scalar(url.withoutPassword)
            ]
            if let passwordEnv { lines.append("password_env: \(passwordEnv)") }
        } else {
            let path = URL(fileURLWithPath: source).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("--source: no database file at \(path)") }
            map = DataSourceMap(name: name, driver: .embedded, path: path, tables: [], location: location)
            displayName = path
            lines = ["path: \(ProposedDataMap.scalar(path))"]
        }
    }

    func open() async throws -> any DataSourceExecutor {
        do {
            return try await StorageDrivers.standard.driver(map.driver, at: map.location).openDataSource(
                map, readOnly: true, logger: Logger(label: "rightskit.datamap"))
        } catch let error as ConfigError {
            throw CommandFailure(.failure, error.message)
        } catch let errors as ConfigErrors {
            throw CommandFailure(.failure, errors.errors.map(\.message).joined(separator: "; "))
        }
    }

    /// Every finding of every source of `map`, each source opened read-only.
    static func drift(of map: DataMap, sampleRows: Int, logger: Logger) async throws -> [DriftFinding] {
        var findings: [DriftFinding] = []
        for source in map.sources {
            let executor: any DataSourceExecutor
            do {
                executor = try await StorageDrivers.standard.driver(source.driver, at: source.location).openDataSource(
                    source, readOnly: true, logger: logger)
            } catch let error as ConfigError {
                throw CommandFailure(.failure, error.description)
            } catch let errors as ConfigErrors {
                throw CommandFailure(.failure, errors.description)
            }
            do {
                let facts = try await executor.schemaFacts()
                findings += try await DataMapDrift.findings(
                    in: source, facts: facts, on: executor, discovery: SchemaDiscovery(settings: .init(sampleRows: sampleRows)))
                await executor.close()
            } catch {
                await executor.close()
                throw CommandFailure(.failure, "reading \(source.name) failed: \(reason(error))")
            }
        }
        return findings
    }

    /// A database error's reason, without the statement or any value.
    static func reason(_ error: any Error) -> String {
        if let failure = error as? CommandFailure { return failure.message }
        return String(describing: type(of: error))
    }
}
