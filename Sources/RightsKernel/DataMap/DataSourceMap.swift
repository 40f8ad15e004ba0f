/// One database holding personal data, and its mapped tables.
public struct DataSourceMap: Sendable, Equatable {
    public var name: String
    /// The registered driver that opens this source.
    public var driver: StorageDriverName
    /// For a database file, an absolute path resolved against the deployment file's folder;
    /// for a server's database, where it is (`postgres://host:port/database`), for messages.
    public var path: String
    /// The server's database, for a source named by `url`.
    public var url: DatabaseURL?
    public var tables: [MappedTable]
    /// The table recording consents by purpose, if this source has one.
    public var consentRegistry: ConsentRegistryMap?
    /// Tables a person reviewed as holding nothing personal (`not_personal`), which `datamap
    /// drift` then reports only when a personal-looking column appears in them.
    public var notPersonal: [String] = []
    public var location: ConfigLocation

    public init(
        name: String, driver: StorageDriverName, path: String, tables: [MappedTable], consentRegistry: ConsentRegistryMap? = nil,
        location: ConfigLocation
    ) {
        self.consentRegistry = consentRegistry
        self.name = name
        self.driver = driver
        self.path = path
        self.tables = tables
        self.location = location
    }

    public func table(_ name: String) -> MappedTable? { tables.first { $0.name == name } }

    /// The chain of tables from `table` up to the one whose columns identify the subject.
    public func path(to table: MappedTable) -> [MappedTable] {
        var chain = [table]
        var current = table
        while case .parent(_, let parentName, _) = current.link, let parent = self.table(parentName),
            !chain.contains(where: { $0.name == parent.name })
        {
            chain.append(parent)
            current = parent
        }
        return chain
    }
}

/// Where a source records consent by purpose: a mapped table with a purpose column and a
/// withdrawal date column that a withdrawal fills in.
public struct ConsentRegistryMap: Sendable, Equatable {
    public var table: String
    public var purposeColumn: String
    public var withdrawnColumn: String
    public var location: ConfigLocation

    public init(table: String, purposeColumn: String, withdrawnColumn: String, location: ConfigLocation) {
        self.table = table
        self.purposeColumn = purposeColumn
        self.withdrawnColumn = withdrawnColumn
        self.location = location
    }
}
