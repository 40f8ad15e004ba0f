import Synchronization

/// Records every statement the data service issues, so tests can check each query plan.
public final class StatementLog: Sendable {
    /// One statement and the source it ran on.
    public struct Entry: Sendable {
        public var source: String
        public var sql: String
        /// How many values were bound (the values themselves are not kept).
        public var argumentCount: Int
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    func record(source: String, sql: String, argumentCount: Int) {
        entries.withLock { $0.append(Entry(source: source, sql: sql, argumentCount: argumentCount)) }
    }

    public var statements: [Entry] { entries.withLock { $0 } }
}
