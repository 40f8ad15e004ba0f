import ArgumentParser
import Foundation
import Logging
import RightsDrivers
import RightsKernel
import RightsPostgres
import RightsStore

/// `rightskit demo seed`: the deterministic sample business database.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "The sample business database, and a first request on it.",
        subcommands: [DemoRunCommand.self, Seed.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate the sample database (replacing it) and its subjects' keys.")

        @Option(help: "How many subjects.") var subjects: Int = 1_000
        @Option(help: "The deployment whose data map names the database and vault to write (when --out and --vault are not given).")
        var config: String = "config.yaml"
        @Option(help: "The database file to write (default: the first source of the deployment's data map).") var out: String?
        @Option(help: "The key vault (default: the data map's vault).") var vault: String?
        @Option(name: .customLong("heavy-rows"), help: "Extra orders for subject 1, to export a very large subject.") var heavyRows: Int = 0
        @Flag(name: .long, help: "Print machine-readable JSON.") var json = false
        @Option(
            help:
                "Write the sample into this PostgreSQL database instead (postgres://user@host:port/database), replacing its sample tables.")
        var postgres: String?
        @Option(name: .customLong("password-env"), help: "With --postgres: the environment variable holding the password.") var passwordEnv:
            String?

        func validate() throws {
            guard subjects >= 1 else { throw ValidationError("--subjects must be at least 1") }
            guard heavyRows >= 0 else { throw ValidationError("--heavy-rows cannot be negative") }
        }

        func run() async throws {
            let started = Date()
            // The deployment's own paths, so `--config` seeds what that deployment maps.
            var map: DataMap?
            if out == nil || vault == nil, FileManager.default.fileExists(atPath: config) {
                do {
                    map = try DeploymentSettings.load(path: config).dataMap
                } catch {
                    throw CommandFailure(.invalidConfiguration, error.description)
                }
            }
            let out = out ?? map?.sources.first?.path ?? "data/sample-business.sqlite"
            let vault = vault ?? map?.vaultPath ?? "data/vault.sqlite"
            let sample = SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows)
            if let postgres {
                let location: PostgresLocation
                do {
                    location = try PostgresLocation(url: postgres, passwordVariable: passwordEnv)
                } catch {
                    throw ValidationError("--postgres: \(error.description)")
                }
                // Generated as SQLite beside the vault, copied with its schema, then removed.
                let staging = URL(fileURLWithPath: vault).deletingLastPathComponent().appendingPathComponent(
                    ".sample-\(UUID().uuidString.prefix(8)).sqlite"
                ).path
                defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) } }
                try sample.write(to: staging, vaultPath: vault)
                do {
                    try await SQLiteDatabaseCopy(path: staging).copy(into: location, logger: Logger(label: "rightskit.demo"))
                } catch let error as PostgresStoreUnreachable {
                    throw CommandFailure(.failure, "cannot write the sample: \(error.description)")
                }
                let target = "\(location.host):\(location.port)/\(location.database)"
                if json {
                    struct Seeded: Encodable {
                        var subjects: Int
                        var database: String
                        var vault: String
                        var seconds: Double
                    }
                    return try Output.json(
                        Seeded(subjects: subjects, database: target, vault: vault, seconds: Date().timeIntervalSince(started)))
                }
                Output.line(
                    "wrote \(subjects) subjects to PostgreSQL \(target) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s (keys in \(vault))"
                )
                return
            }
            try sample.write(to: out, vaultPath: vault)
            if json {
                struct Seeded: Encodable {
                    var subjects: Int
                    var database: String
                    var vault: String
                    var seconds: Double
                }
                return try Output.json(Seeded(subjects: subjects, database: out, vault: vault, seconds: Date().timeIntervalSince(started)))
            }
            Output.line(
                "wrote \(subjects) subjects to \(out) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s (keys in \(vault))")
            Output.line(
                "subject n: email user<n>@example.cn, phone \(SampleBusinessDatabase.phone(1)) for n = 1, user id \(SampleBusinessDatabase.userID(1)) for n = 1"
            )
        }
    }
}
