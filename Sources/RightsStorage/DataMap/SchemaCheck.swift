package import RightsKernel

/// What a database says about its own schema, in terms both connectors can give: the checks of
/// a data map against it are then written once (``SchemaCheck``).
package struct SchemaFacts: Sendable {
    /// How a column stores its values, as far as an erase strategy cares.
    package enum Storage: Sendable { case integer, real, text, other }

    package struct Column: Sendable {
        package var name: String
        /// The type as the database declares it (`bigint`, `timestamp with time zone`, `TEXT`).
        package var type: String
        package var storage: Storage
        package var notNull: Bool
        package var primaryKey: Bool

        package init(name: String, type: String, storage: Storage, notNull: Bool, primaryKey: Bool) {
            self.name = name
            self.type = type
            self.storage = storage
            self.notNull = notNull
            self.primaryKey = primaryKey
        }
    }

    /// A foreign key: `table.column` refers to `parent` (its `parentColumn`; nil for its
    /// primary key).
    package struct Reference: Sendable {
        package var table: String
        package var column: String
        package var parent: String
        package var parentColumn: String?

        package init(table: String, column: String, parent: String, parentColumn: String? = nil) {
            self.table = table
            self.column = column
            self.parent = parent
            self.parentColumn = parentColumn
        }
    }

    package var tables: [String]
    package var columns: [String: [Column]]
    /// The first column of each index (and of the primary key), per table.
    package var indexedColumns: [String: Set<String>]
    package var references: [Reference]
    /// Whether a table's implicit `rowid` may serve as its key (SQLite only).
    package var rowidKeys: Bool
    /// Columns a unique index or constraint covers alone, per table.
    package var uniqueColumns: [String: Set<String>] = [:]
    /// The database's own estimate of each table's rows, where it keeps one (PostgreSQL's
    /// statistics); a sample is drawn from a fraction of a large table's pages.
    package var estimatedRows: [String: Int] = [:]

    package init(
        tables: [String], columns: [String: [Column]], indexedColumns: [String: Set<String>], references: [Reference], rowidKeys: Bool
    ) {
        self.tables = tables
        self.columns = columns
        self.indexedColumns = indexedColumns
        self.references = references
        self.rowidKeys = rowidKeys
    }
}

/// A driver's connection to one of the organisation's databases: the storage core's executor,
/// and what the database says about its own schema.
package protocol DataSourceExecutor: StorageExecutor {
    func schemaFacts() async throws -> SchemaFacts
}

/// Compares a source's mapped tables and columns with the database's real schema.
package struct SchemaCheck {
    package var errors: [ConfigError] = []
    package var warnings: [ConfigError] = []

    package init(source: DataSourceMap, facts: SchemaFacts) {
        let tableNames = facts.tables
        var columns: [String: Set<String>] = [:]
        let place = source.url == nil ? source.path : source.name
        for table in source.tables {
            guard tableNames.contains(table.name) else {
                let hint = Spelling.closest(to: table.name, in: tableNames).map { " (did you mean '\($0)'?)" } ?? ""
                errors.append(table.location.error("table '\(table.name)' does not exist in \(place)\(hint)"))
                continue
            }
            columns[table.name] = Set((facts.columns[table.name] ?? []).map(\.name))
        }
        if let registry = source.consentRegistry, let own = columns[registry.table] {
            for column in [registry.purposeColumn, registry.withdrawnColumn] where !own.contains(column) {
                errors.append(registry.location.error("consent registry column '\(column)' does not exist in table '\(registry.table)'"))
            }
        }
        for table in source.tables {
            guard let own = columns[table.name] else { continue }
            let indexed = facts.indexedColumns[table.name] ?? []
            func require(
                _ column: String, at location: ConfigLocation, role: String, in tableName: String? = nil, of available: Set<String>? = nil
            ) {
                let pool = available ?? own
                if (column == "rowid" && facts.rowidKeys) || pool.contains(column) { return }
                if column == "rowid" {
                    errors.append(
                        location.error(
                            "\(role) column: '\(tableName ?? table.name)' has no single-column primary key to key its rows by; name its key column (`key: …`)"
                        ))
                    return
                }
                let hint = Spelling.closest(to: column, in: pool).map { " (did you mean '\($0)'?)" } ?? ""
                errors.append(location.error("\(role) column '\(column)' does not exist in table '\(tableName ?? table.name)'\(hint)"))
            }
            require(table.key, at: table.location, role: "key")
            switch table.link {
            case .identities(let identities):
                for (_, column) in identities.sorted(by: { $0.key < $1.key }) {
                    require(column, at: table.linkLocation, role: "identity")
                    if own.contains(column), !indexed.contains(column) {
                        warnings.append(
                            table.linkLocation.error(
                                "identity column '\(table.name).\(column)' has no index; finding a subject scans the table"))
                    }
                }
            case .parent(let column, let parent, let referenced):
                require(column, at: table.linkLocation, role: "link")
                if let parentColumns = columns[parent] {
                    require(referenced, at: table.linkLocation, role: "referenced", in: parent, of: parentColumns)
                }
                if own.contains(column), !indexed.contains(column) {
                    warnings.append(
                        table.linkLocation.error("link column '\(table.name).\(column)' has no index; finding a subject scans the table"))
                }
            }
            for field in table.fields {
                require(field.column, at: field.location, role: "field")
                if let retention = field.retention { require(retention.from, at: retention.location, role: "retention date") }
            }
            if let retention = table.retention { require(retention.from, at: retention.location, role: "retention date") }
            if let productColumn = table.productColumn { require(productColumn, at: table.location, role: "product") }
            if case .status(let column, _) = table.cancellation { require(column, at: table.location, role: "cancellation status") }
            if let deleting = table.fields.first(where: { $0.erasure == .deleteRow }) {
                let references = Self.unmappedReferences(to: table, in: source, facts: facts)
                if !references.isEmpty {
                    errors.append(
                        deleting.location.error(
                            "erase: rows of '\(table.name)' are referred to by \(references.joined(separator: ", ")), which the data map does not link to it, so deleting them would fail; map that table with `link: { column: …, references: \(table.name).\(table.key) }`, or erase these fields in place (`null`, `hmac`, `{ fixed: … }`)"
                        ))
                }
            }
            // A strategy the column cannot take fails at the first erasure: refuse it here.
            for field in table.fields {
                guard let column = facts.columns[table.name]?.first(where: { $0.name == field.column }) else { continue }
                switch field.erasure {
                case .null where column.notNull:
                    errors.append(
                        field.location.error(
                            "erase: column '\(table.name).\(field.column)' is NOT NULL, so `null` would fail at the first erasure; use `{ fixed: … }`, `hmac` or `delete-row`"
                        ))
                case .fixed(let value) where column.storage == .integer && Int(value) == nil:
                    errors.append(
                        field.location.error(
                            "erase: column '\(table.name).\(field.column)' holds integers, so `{ fixed: \(value) }` does not fit; use a number, `null` or `delete-row`"
                        ))
                case .fixed(let value) where column.storage == .real && Double(value) == nil:
                    errors.append(
                        field.location.error(
                            "erase: column '\(table.name).\(field.column)' holds numbers, so `{ fixed: \(value) }` does not fit; use a number, `null` or `delete-row`"
                        ))
                default:
                    break
                }
            }
        }
    }

    /// Rows of a table the map does not link (or links by another column) that refer to a mapped
    /// table by a foreign key: deleting the referenced rows would fail at the first erasure.
    static func unmappedReferences(to table: MappedTable, in source: DataSourceMap, facts: SchemaFacts) -> [String] {
        var found: [String] = []
        for reference in facts.references where reference.parent == table.name && !reference.table.hasPrefix("rightskit_") {
            let mapped =
                source.table(reference.table).map { mapped -> Bool in
                    if case .parent(let linkColumn, let parent, _) = mapped.link {
                        return linkColumn == reference.column && parent == table.name
                    }
                    return false
                } ?? false
            if !mapped { found.append("\(reference.table).\(reference.column)") }
        }
        return found.sorted()
    }
}

extension SchemaFacts {
    /// One column of one table, if the database has it.
    package func column(_ table: String, _ column: String) -> Column? {
        columns[table]?.first { $0.name == column }
    }
}
