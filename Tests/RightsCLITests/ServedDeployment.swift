import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RightsTesting
import Testing

/// A `rightskit serve` subprocess on a free loopback port, and an HTTP client for it.
final class ServedDeployment: @unchecked Sendable {
    let runner: CommandLineRunner
    private(set) var process: Process
    private(set) var port: Int
    private(set) var output: URL
    /// Where the server's log lines go (its standard error).
    private(set) var errors: URL

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        /// The body as a JSON object (empty when it is not one).
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        /// `error.code` of a problem reply.
        var problem: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// The repository's `config.yaml` with `server:` settings for tests appended.
    static func repositoryConfig(server: String = "") throws -> String {
        try CommandLineRunner.repositoryConfig.replacingOccurrences(
            of: "intake: { window_minutes: 60, filings: 20,", with: "intake: { window_minutes: 60, filings: 1000,")
            + "\nserver:\n  rate_limits: { filings_per_minute: 100000, code_attempts_per_minute: 100000 }\n" + server
    }

    /// Starts `rightskit serve` in a new folder with `config`.
    convenience init(config: String, arguments: [String] = [], executable: String = "rightskit", environment: [String: String] = [:])
        async throws
    {
        let directory = try TemporaryDirectory(prefix: "rightskit-serve")
        try config.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
        try await self.init(
            runner: CommandLineRunner(directory: directory, executable: executable), arguments: arguments, environment: environment)
    }

    init(runner: CommandLineRunner, arguments: [String] = [], environment: [String: String] = [:]) async throws {
        self.runner = runner
        (process, port, output, errors) = try await Self.launch(runner, arguments, environment)
    }

    private static func launch(_ runner: CommandLineRunner, _ arguments: [String], _ environment: [String: String] = [:]) async throws -> (
        Process, Int, URL, URL
    ) {
        let (process, out, err) = try await runner.start(
            ["serve", "--port", "0", "--json", "--demo"] + arguments, environment: environment)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("\"listening\"") }),
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let port = object["port"] as? Int
            {
                return (process, port, out, err)
            }
            if !process.isRunning {
                let errors = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
                Issue.record("serve exited \(process.terminationStatus): \(errors)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw CancellationError()
    }

    /// Starts the server again on the same folder (a restart after a stop or a kill).
    func restart(arguments: [String] = []) async throws {
        (process, port, output, errors) = try await Self.launch(runner, arguments)
    }

    /// Waits for the process to exit by itself (a crash point), up to `seconds`.
    func waitForExit(seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !process.isRunning
    }

    /// Sends `signal` and waits for the process to exit; returns how long it took.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) async -> Duration {
        let start = ContinuousClock.now
        kill(process.processIdentifier, signal)
        await CommandLineRunner.waitForExit(process)
        return ContinuousClock.now - start
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// One HTTP call over loopback.
    /// A client that hands a redirect back instead of following it (a browser's form post is
    /// answered with one, and its cookies matter).
    static let unredirected = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    func call(
        _ method: HTTPMethod, _ path: String, json: Any? = nil, body: Data? = nil, headers: [String: String] = [:],
        followingRedirects: Bool = true
    ) async throws -> Reply {
        let client = followingRedirects ? HTTPClient.shared : Self.unredirected
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let body {
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(60))
        } catch let error as HTTPClientError where error == .remoteConnectionClosed {
            // A pooled keep-alive connection the server had just closed as idle: send it anew.
            response = try await client.execute(request, timeout: .seconds(60))
        } catch ChannelError.ioOnClosedChannel {
            // A pooled connection found closed as the request was written (an instance killed
            // and restarted): the request never reached the server whole, so it is sent anew.
            response = try await client.execute(request, timeout: .seconds(60))
        }
        let buffer = try await response.body.collect(upTo: 64 << 20)
        var replyHeaders: [String: String] = [:]
        for header in response.headers { replyHeaders[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: replyHeaders, body: Data(buffer: buffer))
    }

    // MARK: A subject's and an operator's steps

    /// Files a request as `subject` and returns its id and secret.
    func file(
        _ right: String, subject: String, requester: String? = nil, contact: String? = nil, reference: String? = nil,
        parameters: [String: String] = [:]
    ) async throws -> (id: String, secret: String, reply: Reply) {
        let parts = subject.split(separator: ":", maxSplits: 1).map(String.init)
        var filing: [String: Any] = ["right": right, "subject": ["kind": parts[0], "value": parts[1]], "parameters": parameters]
        if let requester { filing["requester"] = requester }
        if let contact {
            let contactParts = contact.split(separator: ":", maxSplits: 1).map(String.init)
            filing["contact"] = ["kind": contactParts[0], "value": contactParts[1]]
        }
        if let reference { filing["reference"] = reference }
        let reply = try await call(.POST, "/v1/requests", json: filing)
        let request = reply.json["request"] as? [String: Any]
        return (request?["id"] as? String ?? "", reply.json["secret"] as? String ?? "", reply)
    }

    /// The one-time code the outbox holds for a request (read with the CLI, on the same files
    /// the server is using).
    func code(for id: String) async throws -> String {
        let result = try await runner.run("outbox", "--request", id, "--json")
        let messages = (try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]]) ?? []
        let body =
            messages.compactMap { $0["message"] as? [String: Any] }.last { $0["kind"] as? String == "verification-code" }?["body"]
            as? String ?? ""
        return RightsTestHarness.code(in: body) ?? ""
    }

    /// Answers a request's challenge with its code.
    func verify(_ id: String, secret: String) async throws -> Reply {
        try await call(
            .POST, "/v1/requests/\(id)/verification", json: ["code": try await code(for: id)], headers: ["X-Request-Secret": secret])
    }

    /// Creates a token with `role` through the CLI.
    func token(_ role: String, name: String) async throws -> String {
        let result = try await runner.run("token", "create", "--role", role, "--name", name)
        #expect(result.status == 0, "\(result.errors)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
