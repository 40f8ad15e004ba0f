import RightsKernel

extension DataMapService {
    /// Where each source's live schema has drifted from the map, read through the service's own
    /// connections in read-only transactions, as `rightskit datamap drift` reads it.
    package func drift(sampleRows: Int = 200) async throws -> [DriftFinding] {
        var findings: [DriftFinding] = []
        for source in map.sources {
            guard let executor = executors[source.name] else { continue }
            findings += try await DataMapDrift.findings(
                in: source, facts: try await executor.schemaFacts(), on: executor,
                discovery: SchemaDiscovery(settings: .init(sampleRows: sampleRows)))
        }
        return findings
    }
}
