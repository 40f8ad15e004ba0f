extension DataMap {
    /// The capabilities the map's declarations make possible for any connector: reading,
    /// correcting and erasing always; a consent registry and product scope only when declared.
    public var declaredCapabilities: Set<DataCapability> {
        var capabilities: Set<DataCapability> = [.reading, .correcting, .erasing]
        if sources.contains(where: { $0.consentRegistry != nil }) { capabilities.insert(.consentRegistry) }
        if sources.contains(where: { $0.tables.contains { $0.productColumn != nil } }) { capabilities.insert(.productScope) }
        return capabilities
    }

    /// What the map would have to declare to offer `capability`, naming its file and line.
    public func missingDeclaration(_ capability: DataCapability) -> String? {
        let place = "the data map (\(location.file):\(location.line))"
        switch capability {
        case .consentRegistry where !declaredCapabilities.contains(.consentRegistry):
            return "\(place) declares no consent registry: add `consent_registry: { table, purpose_column, withdrawn_column }` to a source"
        case .productScope where !declaredCapabilities.contains(.productScope):
            return "\(place) declares no product column: add `product_column:` to the table that names each row's product"
        default:
            return nil
        }
    }
}
