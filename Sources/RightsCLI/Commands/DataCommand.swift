import ArgumentParser
import Foundation
import RightsExport
import RightsKernel
import RightsStore

/// `rightskit data locate|export`: what the data map finds about a subject, for operators
/// checking a map. Subjects exercise their rights through requests instead.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Inspect a subject's data through the data map.", subcommands: [Locate.self, Export.self])

    struct Locate: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Rows per table and categories held about a subject.")
        @OptionGroup var options: DeploymentOptions
        @Option(help: "An identity as kind:value; repeat for several.") var subject: [String]

        func run(registry: ModuleRegistry) async throws {
            let identities = try subject.map { try identity($0, option: "--subject") }
            let deployment = try await options.inspect(registry)
            let footprint = try await deployment.services.data.footprint(of: identities, scope: .everything)
            if options.json { return try Output.json(footprint) }
            for table in footprint.tables where table.rows > 0 {
                Output.line("\(table.source).\(table.table): \(table.rows) row(s); \(table.categories.map(\.name).joined(separator: ", "))")
            }
            if footprint.rows == 0 { Output.line("nothing found for this subject") }
        }
    }

    struct Export: DeploymentCommand {
        static let configuration = CommandConfiguration(abstract: "Stream a subject's data to a JSON file, grouped by category and table.")
        @OptionGroup var options: DeploymentOptions
        @Option(help: "An identity as kind:value; repeat for several.") var subject: [String]
        @Option(help: "The JSON file to write.") var out: String

        func run(registry: ModuleRegistry) async throws {
            let identities = try subject.map { try identity($0, option: "--subject") }
            let deployment = try await options.inspect(registry)
            let writer = try JSONExportWriter(path: out)
            let summary = try await deployment.services.data.export(identities, scope: .everything, into: writer)
            try writer.finish()
            if options.json {
                struct Exported: Encodable {
                    var records: Int
                    var categories: Int
                    var file: String
                }
                return try Output.json(Exported(records: summary.total, categories: summary.records.count, file: out))
            }
            Output.line("exported \(summary.total) record(s) in \(summary.records.count) categories to \(out)")
        }
    }
}
