/// A table of a data source and how its rows link to the subject.
public struct MappedTable: Sendable, Equatable {
    /// How rows reach the subject.
    public enum Link: Sendable, Equatable {
        /// Columns holding identities directly, by identity kind (`email` → `contact_email`).
        case identities([String: String])
        /// A foreign key to another mapped table, which links to the subject in turn.
        case parent(column: String, table: String, referencedColumn: String)
    }

    public var name: String
    /// The column that identifies a row (`rowid` unless the map names one).
    public var key: String
    public var link: Link
    public var fields: [MappedField]
    /// A retention rule for every field of the table.
    public var retention: RetentionRule?
    /// A column naming the product or service each row belongs to (for discontinuation, 5.7).
    public var productColumn: String?
    /// How a cancelled account is marked in this table (clause 5.5), so the host application
    /// stops serving it: a status column set to a value, or the row deleted.
    public var cancellation: AccountCancellationMark?
    public var location: ConfigLocation
    public var linkLocation: ConfigLocation

    public init(
        name: String, key: String, link: Link, fields: [MappedField], retention: RetentionRule?, productColumn: String?,
        location: ConfigLocation, linkLocation: ConfigLocation
    ) {
        self.name = name
        self.key = key
        self.link = link
        self.fields = fields
        self.retention = retention
        self.productColumn = productColumn
        self.location = location
        self.linkLocation = linkLocation
    }

    /// The retention rule that holds a field: its own, else the table's.
    public func retention(for field: MappedField) -> RetentionRule? {
        field.retention ?? retention
    }
}

/// How the host application learns that an account was cancelled.
public enum AccountCancellationMark: Sendable, Equatable {
    /// `column` is set to `value` (`status` → `cancelled`).
    case status(column: String, value: String)
    /// The account's row is deleted (kept, restricted, while retained rows still refer to it).
    case deleteRow
}
