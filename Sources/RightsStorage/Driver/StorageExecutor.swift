/// One open transaction (or, outside one, the database itself): runs statements in order.
package protocol SQLConnection: Sendable {
    /// Runs `statement` and returns every row it gave (none for most writes; `RETURNING` gives
    /// rows, which is how the core learns whether a conditional change applied).
    @discardableResult
    func query(_ statement: SQLStatement) async throws -> [SQLRow]
    /// Runs independent writes as one unit and returns how many rows each returned. None may
    /// depend on another's effect: a driver may send them as one statement (PostgreSQL's
    /// data-modifying `WITH`), in which no part sees another's changes.
    func apply(_ writes: [SQLStatement]) async throws -> [Int]
    /// How many statements ``apply(_:)`` sends for `count` writes.
    func statementsSent(applying count: Int) -> Int
    /// Runs `statement` and hands each row to `body` as it arrives, so a large read keeps
    /// memory flat (a cursor on SQLite, the row stream on PostgreSQL).
    func forEachRow(_ statement: SQLStatement, _ body: (SQLRow) throws -> Void) async throws
    /// The first column of every row, read as tightly as the driver can: an erasure's scan of a
    /// subject's row keys holds a rollback-journal host's commits back while it runs.
    func firstColumn(_ statement: SQLStatement) async throws -> [SQLValue]
}

extension SQLConnection {
    /// One statement after another.
    package func apply(_ writes: [SQLStatement]) async throws -> [Int] {
        try await applyOneByOne(writes)
    }

    /// Runs each write as a statement of its own and counts the rows each returned.
    package func applyOneByOne(_ writes: [SQLStatement]) async throws -> [Int] {
        var counts: [Int] = []
        for write in writes { counts.append(try await query(write).count) }
        return counts
    }

    package func statementsSent(applying count: Int) -> Int { count }

    /// Each row's first value.
    package func firstColumn(_ statement: SQLStatement) async throws -> [SQLValue] {
        try await query(statement).map { $0.values.first ?? .null }
    }

    /// Every row at once, then each to `body`.
    package func forEachRow(_ statement: SQLStatement, _ body: (SQLRow) throws -> Void) async throws {
        for row in try await query(statement) { try body(row) }
    }
}

/// What a database driver gives the storage core: statements on their own, transactions, a
/// consistent read of several statements, and the dialect those statements are written in.
/// The core holds every algorithm; a driver only runs what it is handed.
package protocol StorageExecutor: SQLConnection {
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction that holds the database's write lock for its writes,
    /// committing when it returns and rolling back when it throws (rethrowing its own error).
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> Result) async throws -> Result
    /// Runs `body`'s reads against one snapshot of the database.
    func snapshot<Result: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> Result) async throws -> Result
    /// Closes the connections; nothing runs after.
    func close() async
}

extension StorageExecutor {
    package func close() async {}
}

/// The handful of places where the two databases' SQL differs, as text the core splices in.
package struct SQLDialect: Sendable {
    /// Appended to a `SELECT` that locks the rows it reads for the rest of the transaction
    /// (`FOR UPDATE`); empty where the transaction already holds the only write lock (SQLite).
    package var lockForUpdate: String
    /// Appended to a subquery that claims rows, skipping those another transaction is claiming
    /// (`FOR UPDATE SKIP LOCKED`); empty for SQLite.
    package var lockSkippingLocked: String
    /// The column that orders requests as they were filed (SQLite's `rowid`, a `seq` column elsewhere).
    package var filingOrder: String
    /// `field` of the JSON object in text `column`, or NULL.
    package var jsonField: @Sendable (_ column: String, _ field: String) -> String
    /// An expression that takes a lock on `key` until the transaction ends, shared or not; nil
    /// where writers are serialised anyway. ``lockStatement(_:)`` takes several in one statement.
    package var transactionLock: (@Sendable (_ key: TransactionLockKey, _ shared: Bool) -> SQLStatement)?
    /// Whether audit entries are chained inside the transaction that records them (a database
    /// with one writer at a time) or committed as pending and chained after, in batches (a
    /// database shared by several writers, where holding the chain's head would queue every commit).
    package var chainsAuditInTransaction: Bool
    /// The lowercase hex SHA-256 of the UTF-8 bytes of text expression `expression`.
    package var sha256Hex: @Sendable (_ expression: String) -> String
    /// The column definition of a table's own increasing integer key.
    package var autoIncrementKey: String
    /// The column types for seconds since 1970 and for bytes.
    package var realType: String
    package var blobType: String
    /// A statement that makes a table's own numbering continue after the largest `column`
    /// (after rows were copied in with their numbers); nil where numbering follows the rows.
    package var continueNumbering: (@Sendable (_ table: String, _ column: String) -> SQLStatement)?
    /// A statement giving one row whose `found` column counts the tables named `table` in the
    /// connection's schema (0 or 1).
    package var tableExists: @Sendable (_ table: String) -> SQLStatement
    /// Whether a read transaction holds writers back (SQLite in rollback-journal mode, which an
    /// organisation's database may be in): long reads are then split into short ones.
    package var readsHoldWritersBack: Bool
    /// Put before a column in a `WHERE` to make it a filter the planner does not start from
    /// (SQLite's unary `+`); empty where the planner chooses well without it.
    package var filterOnly: String
    /// The clause after a table's name that reads about `percent` of its pages, for a sample
    /// that never scans a large table (PostgreSQL's `TABLESAMPLE SYSTEM`); nil where a sample
    /// is only bounded by its `LIMIT`.
    package var pageSample: (@Sendable (_ percent: Double) -> String)? = nil

    package init(
        lockForUpdate: String, lockSkippingLocked: String, filingOrder: String,
        jsonField: @escaping @Sendable (_ column: String, _ field: String) -> String,
        transactionLock: (@Sendable (_ key: TransactionLockKey, _ shared: Bool) -> SQLStatement)?,
        chainsAuditInTransaction: Bool, sha256Hex: @escaping @Sendable (_ expression: String) -> String,
        autoIncrementKey: String, realType: String, blobType: String, filterOnly: String,
        tableExists: @escaping @Sendable (_ table: String) -> SQLStatement, readsHoldWritersBack: Bool,
        continueNumbering: (@Sendable (_ table: String, _ column: String) -> SQLStatement)? = nil
    ) {
        self.continueNumbering = continueNumbering
        self.tableExists = tableExists
        self.readsHoldWritersBack = readsHoldWritersBack
        self.autoIncrementKey = autoIncrementKey
        self.realType = realType
        self.blobType = blobType
        self.filterOnly = filterOnly
        self.lockForUpdate = lockForUpdate
        self.lockSkippingLocked = lockSkippingLocked
        self.filingOrder = filingOrder
        self.jsonField = jsonField
        self.transactionLock = transactionLock
        self.chainsAuditInTransaction = chainsAuditInTransaction
        self.sha256Hex = sha256Hex
    }
}

extension SQLDialect {
    /// One statement that takes every lock of `locks`, in their order, until the transaction
    /// ends (one round trip however many); nil where writers are serialised anyway.
    package func lockStatement(_ locks: [(key: TransactionLockKey, shared: Bool)]) -> SQLStatement? {
        guard let transactionLock, !locks.isEmpty else { return nil }
        return "SELECT " + SQLStatement.joined(locks.map { transactionLock($0.key, $0.shared) }, separator: ", ")
    }

    /// One statement that takes an exclusive lock on `key` until the transaction ends.
    package func lockStatement(_ key: TransactionLockKey) -> SQLStatement? { lockStatement([(key, false)]) }
}

/// A write broke a unique constraint; drivers throw this for their database's own error, so
/// the core can tell "already there" from a failure.
package struct UniqueConstraintViolation: Error, CustomStringConvertible {
    package init() {}
    package var description: String { "a row with the same unique key already exists" }
}

/// A delete or update broke a foreign key (rows kept elsewhere still refer to the row); drivers
/// throw this for their database's own error, so erasure can keep the row restricted instead.
package struct ForeignKeyViolation: Error, CustomStringConvertible {
    package init() {}
    package var description: String { "rows elsewhere still refer to this row" }
}

/// What a transaction-scoped lock is taken on: a fixed number (the holds), or a text such as a
/// quota's key, which a driver turns into its lock space.
package enum TransactionLockKey: Sendable {
    case number(Int64)
    case text(String)
}
