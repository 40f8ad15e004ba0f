import Foundation
import NIOHTTP1
import RightsTesting
import Testing

/// Slow and idle clients cannot hold the server: connections that dawdle over a request are
/// closed, idle ones too, the server keeps answering meanwhile, and its memory comes back.
/// Driven with real sockets from a Python client against `rightskit serve`.
@Suite("Connections bounded", .serialized)
struct ConnectionBoundsTests {
    static let settings = "  connections: { max: 2048, idle_seconds: 2, request_seconds: 3 }\n"

    /// Runs the Python client with `mode` and its arguments; returns the JSON it prints.
    static func client(_ mode: String, port: Int, _ arguments: [String]) async throws -> [String: Any] {
        let script = """
            import json, socket, sys, time
            mode, port = sys.argv[1], int(sys.argv[2])
            def connect():
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.setblocking(False)
                return s
            def closed(s):
                try:
                    return s.recv(1) == b""
                except BlockingIOError:
                    return False
                except OSError:
                    return True
            if mode == "slow":
                # Headers a byte a second, for up to `seconds`: how many the server closed, and when.
                count, seconds = int(sys.argv[3]), float(sys.argv[4])
                sockets = [connect() for _ in range(count)]
                start, open_ = time.time(), set(range(count))
                request = b"GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: " + b"a" * 10000
                sent = 0
                while open_ and time.time() - start < seconds:
                    for i in list(open_):
                        try:
                            sockets[i].send(request[sent:sent + 1])
                        except OSError:
                            open_.discard(i); continue
                        if closed(sockets[i]): open_.discard(i)
                    sent += 1
                    time.sleep(1)
                print(json.dumps({"closed": count - len(open_), "after": time.time() - start}))
            else:
                # Waves of idle connections, each held until the server closes it.
                waves, size = int(sys.argv[3]), int(sys.argv[4])
                total = 0
                for _ in range(waves):
                    sockets = []
                    for _ in range(size):
                        try:
                            sockets.append(connect())
                        except OSError:
                            break
                    total += len(sockets)
                    deadline = time.time() + 30
                    while sockets and time.time() < deadline:
                        sockets = [s for s in sockets if not closed(s)]
                        time.sleep(0.2)
                    for s in sockets: s.close()
                print(json.dumps({"opened": total}))
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("clients-\(UUID().uuidString).py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", file.path, mode, "\(port)"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try await ProcessLaunches.run(process)
        let data = await Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
        await CommandLineRunner.waitForExit(process)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// The server's resident memory, in MiB.
    static func residentMiB(_ pid: Int32) -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1_024
    }

    @Test func fiveHundredSlowHeaderClientsAreClosedWhileTheServerAnswers() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig(server: Self.settings))
        async let slow = Self.client("slow", port: server.port, ["500", "20"])
        // Meanwhile the server answers others (a liveness check, not a speed one: the suite may
        // share two cores with every other).
        try await Task.sleep(for: .seconds(1))
        for _ in 0..<5 {
            #expect(try await server.call(.GET, "/healthz").status == 200)
            try await Task.sleep(for: .milliseconds(500))
        }
        let result = try await slow
        #expect(result["closed"] as? Int == 500, "\(result)")
        #expect((result["after"] as? Double ?? 99) < 19, "closed by request_seconds (3 s), not left open for the 20 s tried: \(result)")
    }

    @Test func memoryReturnsAfterTwentyThousandIdleConnections() async throws {
        let server = try await ServedDeployment(config: try ServedDeployment.repositoryConfig(server: Self.settings))
        let pid = server.process.processIdentifier
        for _ in 0..<20 { _ = try await server.call(.GET, "/v1/rights") }
        let idle = Self.residentMiB(pid)
        let result = try await Self.client("idle", port: server.port, ["10", "2000"])
        #expect(result["opened"] as? Int == 20_000, "\(result)")
        try await Task.sleep(for: .seconds(3))
        let after = Self.residentMiB(pid)
        #expect(try await server.call(.GET, "/healthz").status == 200)
        Issue.record(Comment(rawValue: "resident memory: \(idle) MiB idle, \(after) MiB after 20,000 idle connections"), severity: .warning)
        #expect(after < idle + 40, "memory comes back near idle: \(idle) → \(after) MiB")
    }
}
