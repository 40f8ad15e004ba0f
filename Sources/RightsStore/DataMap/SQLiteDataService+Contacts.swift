import GRDB
public import RightsKernel

extension SQLiteDataService {
    /// The emails and phone numbers held in the identity columns of the subject's root rows:
    /// where a code for a subject named by a user id goes.
    public func contacts(of identities: [SubjectIdentity]) async throws -> [SubjectIdentity] {
        var found: [SubjectIdentity] = []
        for source in map.sources {
            let database = try database(source)
            try snapshot(database) { db in
                let keys = try rootKeys(identities, source: source, db: db)
                for table in source.tables {
                    guard case .identities(let columns) = table.link, let tableKeys = keys[table.name], !tableKeys.isEmpty else { continue }
                    for kind in SubjectIdentity.contactKinds.sorted() {
                        guard let column = columns[kind] else { continue }
                        let sql =
                            "SELECT \(quoted(column)) FROM \(quoted(table.name)) WHERE \(quoted(table.key)) IN (\(tableKeys.map { _ in "?" }.joined(separator: ", ")))"
                        for value in try String.fetchAll(db, sql: sql, arguments: StatementArguments(tableKeys)) where !value.isEmpty {
                            let contact = SubjectIdentity(kind: kind, value: value)
                            if !found.contains(contact) { found.append(contact) }
                        }
                    }
                }
            }
        }
        return found
    }
}
