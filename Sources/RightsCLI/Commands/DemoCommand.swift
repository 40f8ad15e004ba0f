import ArgumentParser
import Foundation
import RightsKernel
import RightsStore

/// `rightskit demo seed`: the deterministic sample business database.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "The sample business database, and a first request on it.", subcommands: [DemoRunCommand.self, Seed.self])

    struct Seed: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate the sample database (replacing it) and its subjects' keys.")

        @Option(help: "How many subjects.") var subjects: Int = 1_000
        @Option(help: "The database file to write.") var out: String = "data/sample-business.sqlite"
        @Option(help: "The key vault (per-subject encryption keys, deployment HMAC key).") var vault: String = "data/vault.sqlite"
        @Option(name: .customLong("heavy-rows"), help: "Extra orders for subject 1, to export a very large subject.") var heavyRows: Int = 0

        func validate() throws {
            guard subjects >= 1 else { throw ValidationError("--subjects must be at least 1") }
            guard heavyRows >= 0 else { throw ValidationError("--heavy-rows cannot be negative") }
        }

        func run() throws {
            let started = Date()
            try SampleBusinessDatabase(subjects: subjects, heavyRows: heavyRows).write(to: out, vault: SubjectKeyVault(path: vault))
            Output.line("wrote \(subjects) subjects to \(out) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s (keys in \(vault))")
            Output.line("subject n: email user<n>@example.cn, phone \(SampleBusinessDatabase.phone(1)) for n = 1, user id \(SampleBusinessDatabase.userID(1)) for n = 1")
        }
    }
}
