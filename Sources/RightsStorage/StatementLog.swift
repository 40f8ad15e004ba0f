import Synchronization

/// Records the statements a store runs, so tests can check each query plan and count what a
/// request costs. The data service records into a log it is given; the ledger records into the
/// log of ``recording(_:)``, for the task that calls it and every task that task starts.
public final class StatementLog: Sendable {
    /// One statement and the source it ran on.
    public struct Entry: Sendable {
        public var source: String
        public var sql: String
        /// How many values were bound (the values themselves are not kept).
        public var argumentCount: Int
    }

    /// The source the ledger's statements are recorded under.
    public static let ledger = "ledger"

    @TaskLocal static var current: StatementLog?

    private let entries = Mutex<[Entry]>([])
    private let transactionCount = Mutex(0)

    public init() {}

    /// Runs `body` recording the ledger's statements here.
    public func recording<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        try await Self.$current.withValue(self) { try await body() }
    }

    package func record(source: String, sql: String, argumentCount: Int) {
        entries.withLock { $0.append(Entry(source: source, sql: sql, argumentCount: argumentCount)) }
    }

    package func recordTransaction() {
        transactionCount.withLock { $0 += 1 }
    }

    public var statements: [Entry] { entries.withLock { $0 } }

    /// How many ledger transactions were begun.
    public var transactions: Int { transactionCount.withLock { $0 } }
}

/// A connection that records each statement in the task's log before running it.
struct RecordingConnection: SQLConnection {
    let connection: any SQLConnection
    let log: StatementLog

    func query(_ statement: SQLStatement) async throws -> [SQLRow] {
        log.record(statement)
        return try await connection.query(statement)
    }

    func apply(_ writes: [SQLStatement]) async throws -> [Int] {
        if connection.statementsSent(applying: writes.count) == 1, writes.count > 1 {
            log.record(
                source: StatementLog.ledger, sql: "WITH … (\(writes.count) writes as one statement)",
                argumentCount: writes.map(\.values.count).reduce(0, +))
        } else {
            for write in writes { log.record(write) }
        }
        return try await connection.apply(writes)
    }

    func statementsSent(applying count: Int) -> Int { connection.statementsSent(applying: count) }
}

extension StatementLog {
    func record(_ statement: SQLStatement) {
        record(source: Self.ledger, sql: statement.text { _ in "?" }, argumentCount: statement.values.count)
    }
}
