/// One personal field of a mapped table.
public struct MappedField: Sendable, Equatable {
    public var column: String
    public var category: DataCategory
    /// Whether the subject may correct or supplement it here (clause 5.2).
    public var correctable: Bool
    /// Where a non-correctable field must be changed instead (the site of real-name authentication).
    public var correctAt: String?
    public var erasure: ErasureStrategy
    public var retention: RetentionRule?
    /// For an identity column: whether one value may name several subjects (a household's
    /// shared phone). When false (the default) a correction that would give the value to a
    /// second subject is refused, since locating it would then find both.
    public var shared: Bool = false
    /// The column's type as the database declared it when the field was mapped (`type`), so
    /// `datamap drift` can tell when it changes; nil where the map does not say.
    public var declaredType: String?
    public var location: ConfigLocation

    public init(
        column: String, category: DataCategory, correctable: Bool, correctAt: String?, erasure: ErasureStrategy, retention: RetentionRule?,
        location: ConfigLocation
    ) {
        self.column = column
        self.category = category
        self.correctable = correctable
        self.correctAt = correctAt
        self.erasure = erasure
        self.retention = retention
        self.location = location
    }
}
