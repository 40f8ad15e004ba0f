/// Access to the organisation's personal data, as the data map describes it.
///
/// The kernel needs only to know which categories it holds about a subject; the data-map
/// implementation adds export, correction, erasure and restriction.
public protocol PersonalDataService: Sendable {
    /// The data categories held about the subject identified by `identities`.
    func categoriesHeld(for identities: [SubjectIdentity]) async throws -> Set<DataCategory>
}

/// A data service for deployments without a data map: it holds nothing.
public struct NoPersonalData: PersonalDataService {
    public init() {}
    public func categoriesHeld(for identities: [SubjectIdentity]) async throws -> Set<DataCategory> { [] }
}
