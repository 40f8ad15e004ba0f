import Foundation
import GRDB
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO

// One "request" = what the ledger does per access request on its own path, reduced to the
// shapes that matter: a conditional insert, a read by key, a conditional update with RETURNING,
// each write in a transaction of its own (BEGIN/COMMIT).
let requests = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 4000
let schema = """
    CREATE TABLE requests (id TEXT PRIMARY KEY, subject_key TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL,
                           version INTEGER NOT NULL DEFAULT 0, received_at REAL NOT NULL)
    """
let body = String(repeating: "x", count: 900)

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func grdb(_ path: String) async throws -> Double {
    var configuration = Configuration()
    configuration.journalMode = .wal
    let pool = try DatabasePool(path: path, configuration: configuration)
    try await pool.write { db in try db.execute(sql: schema) }
    return try await seconds {
        for index in 0..<requests {
            let id = "r\(index)"
            try await pool.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO requests (id, subject_key, state, body, received_at) SELECT ?, ?, 'received', ?, ? WHERE 1 = 1 RETURNING 1",
                    arguments: [id, "s\(index % 97)", body, Double(index)])
            }
            _ = try await pool.read { db in try Row.fetchOne(db, sql: "SELECT body, version FROM requests WHERE id = ?", arguments: [id]) }
            _ = try await pool.write { db in
                try Row.fetchOne(
                    db,
                    sql: "UPDATE requests SET state = 'completed', version = version + 1 WHERE id = ? AND version = 0 RETURNING version",
                    arguments: [id])
            }
        }
    }
}

func sqlkit(_ path: String, threads: NIOThreadPool, loop: any EventLoop) async throws -> Double {
    let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threads, on: loop).get()
    let db = connection.sql()
    try await db.raw("PRAGMA journal_mode = WAL").run()
    try await db.raw(SQLQueryString(schema)).run()
    let elapsed = try await seconds {
        for index in 0..<requests {
            let id = "r\(index)"
            try await db.raw("BEGIN IMMEDIATE").run()
            try await db.raw(
                "INSERT INTO requests (id, subject_key, state, body, received_at) SELECT \(bind: id), \(bind: "s\(index % 97)"), 'received', \(bind: body), \(bind: Double(index)) WHERE 1 = 1 RETURNING 1"
            ).run()
            try await db.raw("COMMIT").run()
            _ = try await db.raw("SELECT body, version FROM requests WHERE id = \(bind: id)").first()
            try await db.raw("BEGIN IMMEDIATE").run()
            _ = try await db.raw(
                "UPDATE requests SET state = 'completed', version = version + 1 WHERE id = \(bind: id) AND version = 0 RETURNING version"
            )
            .first()
            try await db.raw("COMMIT").run()
        }
    }
    try await connection.close().get()
    return elapsed
}

func postgresNIO(_ client: PostgresClient, table: String) async throws -> Double {
    let logger = Logger(label: "bench")
    try await client.query(
        PostgresQuery(
            unsafeSQL: schema.replacingOccurrences(of: "requests", with: table).replacingOccurrences(of: "REAL", with: "DOUBLE PRECISION")),
        logger: logger)
    return try await seconds {
        for index in 0..<requests {
            let id = "r\(index)"
            let subject = "s\(index % 97)"
            let at = Double(index)
            try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query(
                    "INSERT INTO \(unescaped: table) (id, subject_key, state, body, received_at) SELECT \(id), \(subject), 'received', \(body), \(at) WHERE 1 = 1 RETURNING 1",
                    logger: logger
                ).collect()
            }
            _ = try await client.query("SELECT body, version FROM \(unescaped: table) WHERE id = \(id)", logger: logger).collect()
            try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query(
                    "UPDATE \(unescaped: table) SET state = 'completed', version = version + 1 WHERE id = \(id) AND version = 0 RETURNING version",
                    logger: logger
                ).collect()
            }
        }
    }
}

func postgresSQLKit(_ client: PostgresClient, table: String) async throws -> Double {
    let logger = Logger(label: "bench")
    try await client.query(
        PostgresQuery(
            unsafeSQL: schema.replacingOccurrences(of: "requests", with: table).replacingOccurrences(of: "REAL", with: "DOUBLE PRECISION")),
        logger: logger)
    return try await seconds {
        for index in 0..<requests {
            let id = "r\(index)"
            try await client.withConnection { connection in
                let db = connection.sql()
                try await db.raw("BEGIN").run()
                _ = try await db.raw(
                    "INSERT INTO \(unsafeRaw: table) (id, subject_key, state, body, received_at) SELECT \(bind: id), \(bind: "s\(index % 97)"), 'received', \(bind: body), \(bind: Double(index)) WHERE 1 = 1 RETURNING 1"
                ).all()
                try await db.raw("COMMIT").run()
                _ = try await db.raw("SELECT body, version FROM \(unsafeRaw: table) WHERE id = \(bind: id)").first()
                try await db.raw("BEGIN").run()
                _ = try await db.raw(
                    "UPDATE \(unsafeRaw: table) SET state = 'completed', version = version + 1 WHERE id = \(bind: id) AND version = 0 RETURNING version"
                ).first()
                try await db.raw("COMMIT").run()
            }
        }
    }
}

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sqlkit-bench-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
let threads = NIOThreadPool(numberOfThreads: 1)
threads.start()
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

func rate(_ seconds: Double) -> String {
    String(format: "%.0f requests/s (%.1f µs per statement)", Double(requests) / seconds, seconds / Double(requests * 3) * 1e6)
}

// Alternate the two, twice each, so neither gets a warmer machine.
var grdbTimes: [Double] = []
var sqlkitTimes: [Double] = []
for round in 0..<2 {
    grdbTimes.append(try await grdb(folder.appendingPathComponent("grdb\(round).sqlite").path))
    sqlkitTimes.append(try await sqlkit(folder.appendingPathComponent("sqlkit\(round).sqlite").path, threads: threads, loop: group.next()))
}
print("SQLite, GRDB (DatabasePool, WAL):        \(rate(grdbTimes.min() ?? .nan))")
print("SQLite, SQLKit over sqlite-nio (WAL):    \(rate(sqlkitTimes.min() ?? .nan))")

if let url = ProcessInfo.processInfo.environment["BENCH_POSTGRES_PORT"].flatMap(Int.init) {
    let configuration = PostgresClient.Configuration(
        host: "127.0.0.1", port: url, username: ProcessInfo.processInfo.environment["USER"] ?? "postgres", password: nil,
        database: "postgres", tls: .disable)
    let client = PostgresClient(configuration: configuration)
    let runner = Task { await client.run() }
    var nio: [Double] = []
    var kit: [Double] = []
    for round in 0..<2 {
        nio.append(try await postgresNIO(client, table: "nio\(round)"))
        kit.append(try await postgresSQLKit(client, table: "kit\(round)"))
    }
    print("PostgreSQL, PostgresNIO directly:        \(rate(nio.min() ?? .nan))")
    print("PostgreSQL, SQLKit over postgres-kit:    \(rate(kit.min() ?? .nan))")
    runner.cancel()
}
try? FileManager.default.removeItem(at: folder)
