/// Something that holds open connections to a database (a ledger, a connector to the
/// organisation's data): the server closes them last on shutdown, once the work in flight is done.
public protocol DatabaseConnections: Sendable {
    /// Closes every connection, after the statements in flight finish; nothing runs after.
    func close() async
}

extension LedgerStore: DatabaseConnections {}
