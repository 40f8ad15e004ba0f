import Foundation
import RightsKernel
import RightsStore
import Testing

/// The sample's data map stands in three places: the generator's (tests, bench), `config.yaml`
/// (what a new user reads first) and `Examples/sample-datamap.yaml` (the other jurisdictions).
/// They must describe the same tables; only their paths differ.
@Suite("The three copies of the sample data map agree")
struct SampleDataMapCopiesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Everything but paths and file positions.
    func shape(_ map: DataMap) -> String {
        map.sources.map { source in
            let registry = source.consentRegistry.map { "\($0.table).\($0.purposeColumn).\($0.withdrawnColumn)" } ?? "-"
            return "\(source.name) \(registry)\n"
                + source.tables.map { table in
                    let fields = table.fields.map {
                        "\($0.column):\($0.category):\($0.correctable):\($0.correctAt ?? "-"):\($0.erasure):\($0.retention.map { "\($0.basis)/\(String(describing: $0.period))/\($0.from)" } ?? "-")"
                    }
                    let link =
                        switch table.link {
                        case .identities(let columns):
                            columns.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                        case .parent(let column, let parent, let referenced): "\(column)->\(parent).\(referenced)"
                        }
                    return
                        "\(table.name) key=\(table.key) link=\(link) product=\(table.productColumn ?? "-") retention=\(table.retention.map { "\($0.basis)/\(String(describing: $0.period))/\($0.from)" } ?? "-") \(fields)"
                }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    @Test func configExamplesAndGeneratorDescribeTheSameTables() throws {
        let generator = try DataMap(
            section: ConfigSection.parse(
                yaml: SampleBusinessDatabase.dataMap(database: "/tmp/b.sqlite", vault: "/tmp/v.sqlite"), file: "generator"),
            baseDirectory: "/tmp")
        let config = try #require(try DeploymentSettings.load(path: Self.root.appendingPathComponent("config.yaml").path).dataMap)
        let examplesFile = Self.root.appendingPathComponent("Examples/sample-datamap.yaml").path
        let examples = try DataMap(
            section: ConfigSection.load(path: examplesFile), baseDirectory: Self.root.appendingPathComponent("Examples").path)
        #expect(shape(config) == shape(generator))
        #expect(shape(examples) == shape(generator))
        // Both files point at the same database, the one `demo seed` writes by default.
        #expect(config.sources.first?.path == examples.sources.first?.path)
        #expect(config.sources.first?.path == Self.root.appendingPathComponent("data/sample-business.sqlite").path)
    }
}
