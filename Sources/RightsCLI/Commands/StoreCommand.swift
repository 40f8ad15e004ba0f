import ArgumentParser
import Foundation
import Logging
import RightsKernel
import RightsPostgres
import RightsStore

/// `rightskit store migrate --from sqlite --to postgres`: moves a deployment's ledger.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Move a deployment's ledger between stores.",
        subcommands: [Migrate.self]
    )

    struct Migrate: DeploymentCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the SQLite ledger into an empty PostgreSQL database, audit chain intact, and verify it there.",
            discussion: """
                Reads the SQLite ledger at services.store.path (or --sqlite), writes every request, journal entry, audit entry and checkpoint, hold, code, message, token and notice into the database at --url in one transaction, then verifies the audit chain on PostgreSQL. Stop the deployment's processes first. The subject-key secret stays in the keys folder (services.store.keys, default data/keys): point the postgres store at the same folder. Then set services.store to { driver: postgres, url: …, password_env: … }.
                """
        )
        @OptionGroup var options: DeploymentOptions
        @Option(help: "The store to move from (sqlite).") var from: String
        @Option(help: "The store to move to (postgres).") var to: String
        @Option(help: "The SQLite ledger (default: services.store.path).") var sqlite: String?
        @Option(help: "The PostgreSQL database, postgres://user@host:port/database (no password).") var url: String
        @Option(name: .customLong("password-env"), help: "The environment variable holding the password.") var passwordEnv: String?

        func run(registry: ModuleRegistry) async throws {
            guard from == "sqlite", to == "postgres" else { throw ValidationError("only --from sqlite --to postgres is supported") }
            let settings = try options.loading { try DeploymentSettings.load(path: options.config) }
            let location: PostgresLocation
            do {
                location = try PostgresLocation(url: url, passwordVariable: passwordEnv)
            } catch {
                throw ValidationError("--url: \(error.description)")
            }
            let path = sqlite ?? settings.store.path
            let store: PostgresStore
            do {
                store = try await PostgresStore(
                    location: location, keysFolder: settings.store.keysFolder, logger: Logger(label: "rightskit.store"))
            } catch let error as PostgresStoreUnreachable {
                throw CommandFailure(.failure, error.description)
            }
            let report: LedgerImportReport
            let verification: AuditReport
            do {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw LedgerImportRefused(description: "no SQLite ledger at \(path)")
                }
                // Opening through the SQLite driver brings an older ledger up to the current schema.
                let source = try SQLiteStore(path: path)
                report = try await store.importLedger(from: source)
                await source.close()
                verification = try await store.auditReport(settings: settings)
                await store.close()
            } catch let error as LedgerImportRefused {
                await store.close()
                throw CommandFailure(.refused, error.description)
            }
            if options.json {
                struct Moved: Encodable {
                    var rows: [String: Int]
                    var audit: AuditReport
                }
                try Output.json(Moved(rows: report.rows, audit: verification))
            } else {
                for (table, count) in report.rows.sorted(by: { $0.key < $1.key }) { Output.line("\(table): \(count)") }
                Output.line("audit on PostgreSQL: \(verification.result)")
            }
            guard verification.intact else {
                throw CommandFailure(.auditBroken, "the audit chain does not verify on PostgreSQL: \(verification.result)")
            }
        }
    }
}
