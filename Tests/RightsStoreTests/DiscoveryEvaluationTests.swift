import Foundation
import GRDB
import Logging
import RightsDrivers
import RightsKernel
import RightsPostgres
import RightsStorage
import RightsStore
import RightsTesting
import Testing

/// `datamap discover` against schemas labelled by hand: what it finds, on both databases.
@Suite("Data map discovery, scored against hand-labelled schemas")
struct DiscoveryEvaluationTests {
    /// The schema written to SQLite, or copied to a PostgreSQL database of its own.
    static func source(_ schema: EvaluationSchema, on driver: LedgerDriver, in directory: TemporaryDirectory) async throws -> DataSourceMap
    {
        let file = directory.file("\(schema.name).sqlite")
        try schema.write(to: file)
        let location = ConfigLocation(file: "test", line: 1, column: 1, keyPath: "source")
        guard driver == .postgres else { return DataSourceMap(name: "main", driver: .embedded, path: file, tables: [], location: location) }
        let url = try TestPostgres.shared.get().database()
        try await SQLiteDatabaseCopy(path: file).copy(into: try PostgresLocation(url: url), logger: Logger(label: "test"))
        let parsed = try DatabaseURL(url: url)
        var source = DataSourceMap(name: "main", driver: parsed.driver, path: parsed.displayName, tables: [], location: location)
        source.url = parsed
        return source
    }

    static func propose(_ source: DataSourceMap) async throws -> ProposedDataMap {
        let executor = try await StorageDrivers.standard.driver(source.driver, at: source.location).openDataSource(
            source, readOnly: true, logger: Logger(label: "test"))
        let facts = try await executor.schemaFacts()
        let lines =
            source.url.map { ["url: \"\($0.withoutPassword)\""] } ?? [
                "path: \"\(source.path)\""
            ]
        let proposal = try await SchemaDiscovery().propose(facts, on: executor, sourceName: "main", sourceLines: lines)
        await executor.close()
        return proposal
    }

    @Test(
        "Each evaluation schema's proposal meets the bar: personal columns found ≥ 0.95, proposed personal ≥ 0.90, categories ≥ 0.90, links ≥ 0.95",
        arguments: EvaluationSchema.all, [LedgerDriver.sqlite, .postgres])
    func scored(schema: EvaluationSchema, driver: LedgerDriver) async throws {
        let directory = try TemporaryDirectory(prefix: "rightskit-discovery")
        let proposal = try await Self.propose(try await Self.source(schema, on: driver, in: directory))
        let score = DiscoveryScore(proposal, against: schema)
        // The figures docs/discovery.md records.
        print("discovery \(schema.name) on \(driver): \(score)")
        #expect(score.personalFound >= 0.95, "\(schema.name): \(score); \(score.misses)")
        #expect(score.proposedPersonal >= 0.90, "\(schema.name): \(score); \(score.misses)")
        #expect(score.categoryRight >= 0.90, "\(schema.name): \(score); \(score.misses)")
        #expect(score.linksRight >= 0.95, "\(schema.name): \(score); \(score.misses)")

        // The proposal, unedited, is a map the data service opens and checks against the schema.
        let yaml = proposal.yaml(header: ["test"], vault: directory.file("vault.sqlite"))
        let map = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "datamap.yaml"), baseDirectory: directory.path)
        let service = try await StorageDrivers.standard.openData(map, logger: Logger(label: "test"))
        #expect(((service as? DataMapService)?.warnings ?? []).allSatisfy { !$0.message.contains("does not exist") })
    }

    @Test("Nothing sampled reaches the proposal: no value of any evaluation schema appears in its YAML")
    func noValueCopied() async throws {
        let directory = try TemporaryDirectory(prefix: "rightskit-discovery")
        for schema in EvaluationSchema.all {
            let source = try await Self.source(schema, on: .sqlite, in: directory)
            // The file's own path is ours, not a sampled value: its random folder name can hold
            // a run of digits that one of the thousands of sampled amounts equals.
            let yaml = try await Self.propose(source).yaml(header: []).replacingOccurrences(of: source.path, with: "")
            let database = try DatabaseQueue(path: source.path)
            let values = try await database.read { db in
                var values: [String] = []
                for table in schema.tables {
                    for column in table.columns where column.truth != nil {
                        values += try String.fetchAll(
                            db, sql: "SELECT CAST(\(column.name) AS TEXT) FROM \(table.name) WHERE \(column.name) IS NOT NULL")
                    }
                }
                return values
            }
            #expect(values.count > 1_000)
            for value in values where value.count >= 5 {
                #expect(!yaml.contains(value), "\(schema.name): a sampled value reached the proposal")
            }
        }
    }
}

extension EvaluationSchema: CustomTestStringConvertible {
    public var testDescription: String { name }
}

/// The sample database against the map written for it by hand (`config.yaml`).
@Suite("Data map discovery on the sample database")
struct SampleDiscoveryTests {
    /// Every way the proposal differs from the hand-written map, one line each.
    static func differences(_ proposal: ProposedDataMap, _ hand: DataSourceMap) -> [String] {
        var found: [String] = []
        func top(_ category: String) -> String { category.split(separator: ".").prefix(2).joined(separator: ".") }
        for table in hand.tables {
            guard let proposed = proposal.table(table.name) else {
                found.append("table \(table.name): not proposed")
                continue
            }
            switch (table.link, proposed.link) {
            case (.identities(let kinds), .identities(let proposedKinds)):
                let mine = Dictionary(proposedKinds.map { ($0.kind, $0.column) }, uniquingKeysWith: { first, _ in first })
                func listed(_ kinds: [String: String]) -> String {
                    kinds.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                }
                if mine != kinds { found.append("table \(table.name): identities \(listed(mine)) for \(listed(kinds))") }
            case (
                .parent(let column, let parent, let referenced), .parent(let proposedColumn, let proposedParent, let proposedReferenced, _)
            ):
                if column != proposedColumn || parent != proposedParent || referenced != proposedReferenced {
                    found.append(
                        "table \(table.name): link \(proposedColumn) → \(proposedParent).\(proposedReferenced) for \(column) → \(parent).\(referenced)"
                    )
                }
            case (.identities, .parent(let column, let parent, let referenced, _)):
                found.append("table \(table.name): link \(column) → \(parent).\(referenced) for identities")
            case (.parent, .identities):
                found.append("table \(table.name): identities for a link")
            }
            for field in table.fields {
                guard let mine = proposed.fields.first(where: { $0.column == field.column }) else {
                    found.append("field \(table.name).\(field.column): not proposed")
                    continue
                }
                if top(mine.category) != top(field.category.name) {
                    found.append("field \(table.name).\(field.column): \(mine.category) for \(field.category.name)")
                }
            }
            for field in proposed.fields where !table.fields.contains(where: { $0.column == field.column }) {
                found.append("field \(table.name).\(field.column): proposed, not in the hand map")
            }
        }
        for table in proposal.tables where hand.table(table.name) == nil {
            found.append("table \(table.name): proposed, not in the hand map")
        }
        return found
    }

    @Test(
        "The proposal matches the hand-written map but for the differences docs/discovery.md explains",
        arguments: [LedgerDriver.sqlite, .postgres])
    func matchesTheHandWrittenMap(driver: LedgerDriver) async throws {
        let fixture = try await DataFixture.sample(on: driver, subjects: 300)
        let yaml = try String(contentsOfFile: fixture.directory.file("map.yaml"), encoding: .utf8)
        let hand = try DataMap(section: ConfigSection.parse(yaml: yaml, file: "map.yaml"), baseDirectory: fixture.directory.path)
        let source = try #require(hand.sources.first)
        var bare = source
        bare.tables = []
        let proposal = try await DiscoveryEvaluationTests.propose(bare)
        let differences = Self.differences(proposal, source)
        print("sample database on \(driver): \(differences)")
        #expect(differences == Self.explained, "\(differences)")
    }

    /// The differences, each explained in docs/discovery.md.
    static let explained: [String] = [
        "field third_party_logins.provider: not proposed",
        "table activated_services: not proposed",
        "field support_tickets.subject_line: user.content.free_text for user.support",
        "field support_tickets.body: user.content.free_text for user.support",
    ]
}
