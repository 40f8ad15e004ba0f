import Foundation
import Logging
import RightsKernel
import RightsPostgres
import RightsStore
import RightsTesting
import Synchronization
import Testing

/// Personal data never reaches the logs, even when an operator turns logging up to trace: the
/// PostgreSQL driver logs the rows it receives at trace, so it is never given a level below info.
@Suite("The PostgreSQL driver's logs")
struct DriverLoggingTests {
    @Test("at trace, nothing a row holds is logged")
    func traceLogsHoldNoPersonalData() async throws {
        let lines = LogLines()
        var logger = Logger(label: "test") { _ in CapturingHandler(lines: lines) }
        logger.logLevel = .trace
        let store = try await PostgresStore(
            location: try PostgresLocation(url: try TestPostgres.shared.get().database()),
            keysFolder: try TemporaryDirectory().file("keys"), logger: logger)
        let recipient = SubjectIdentity(kind: "email", value: "li.wei.private@example.cn")
        try await store.send(
            OutboundMessage(
                kind: "notice", recipient: recipient, title: "Your request", body: "a body only the subject reads", request: nil))
        #expect(try await store.outbox().first?.message.recipient == recipient, "the row was read back through the driver")
        // The driver shows a row's bytes in hex.
        let logged = lines.all.joined(separator: "\n")
        for secret in ["li.wei.private", "subject reads"] {
            #expect(!logged.contains(secret))
            #expect(!logged.contains(Data(secret.utf8).map { String(format: "%02x", $0) }.joined()), "\(secret) in hex")
        }
        await store.close()
    }
}

final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingHandler: LogHandler {
    let lines: LogLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.add("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })")
    }
}
