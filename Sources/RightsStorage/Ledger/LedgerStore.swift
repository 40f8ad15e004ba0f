import Crypto
package import Foundation
public import RightsKernel

/// The request ledger, the step journal, the audit chain, holds, one-time codes, the outbox,
/// intake quotas, operators' tokens and deadline notices, written once over a storage driver:
/// SQLite (`RightsStore`) and PostgreSQL (`RightsPostgres`) each give an executor and their
/// migrations, and every algorithm here runs on either.
///
/// One object serves several kernel protocols so that a state change, its audit entries, its
/// messages and its journal rows commit in one transaction. Changes are conditional on the
/// version they were made from; claims on work and on messages skip rows another writer holds.
public final class LedgerStore: Sendable {
    package let executor: any StorageExecutor
    public let clock: any WallClock
    package let subjectSecret: Data
    let linking = AuditLinking()

    package init(executor: any StorageExecutor, clock: any WallClock, subjectSecret: Data) {
        self.executor = executor
        self.clock = clock
        self.subjectSecret = subjectSecret
    }

    /// Runs one statement on its own.
    @discardableResult
    package func run(_ statement: SQLStatement) async throws -> [SQLRow] {
        StatementLog.current?.record(statement)
        return try await executor.query(statement)
    }

    /// Runs `body` in one transaction.
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        guard let log = StatementLog.current else { return try await executor.transaction(body) }
        log.recordTransaction()
        return try await executor.transaction { connection in try await body(RecordingConnection(connection: connection, log: log)) }
    }

    var dialect: SQLDialect { executor.dialect }

    /// Closes the database's connections.
    public func close() async {
        await executor.close()
    }
}

extension LedgerStore: OperationsStore {
    /// Whether the ledger answers a query.
    public func isReachable() async -> Bool {
        (try? await run("SELECT 1 AS one").first?.decode("one", as: Int.self)) == 1
    }
}

extension SubjectKey {
    /// The HMAC-SHA256 of the normalised identity under the deployment's subject secret: every
    /// store of one deployment derives the same key, so a ledger moves between stores intact.
    package init(salting identity: SubjectIdentity, with secret: Data) {
        let message = Data("\(identity.kind):\(identity.normalisedValue)".utf8)
        self.init(rawValue: HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)).hexString)
    }
}
