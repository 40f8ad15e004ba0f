import Foundation
import RightsTesting
import Testing

/// Runs the `rightskit-testbed` executable (the real CLI with the probe module) as a subprocess.
struct CommandLineRunner {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    let directory: TemporaryDirectory
    let executable: URL
    /// Runs each command under this umask (through `/bin/sh`), as a user's shell would.
    var umask: String?
    static var launches: NSLock { ProcessLaunches.lock }

    /// A binary built next to the test bundle: `rightskit-testbed` (the CLI with the probe
    /// module) or `rightskit` (the shipped composition root).
    static func binary(_ name: String) -> URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return testBinary.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// A runner in an existing folder (its `config.yaml` written by the caller).
    init(directory: TemporaryDirectory, executable: String = "rightskit-testbed") throws {
        self.directory = directory
        self.executable = Self.binary(executable)
    }

    init(config: String, executable: String = "rightskit-testbed") throws {
        directory = try TemporaryDirectory(prefix: "rightskit-cli")
        self.executable = Self.binary(executable)
        try config.write(toFile: directory.file("config.yaml"), atomically: true, encoding: .utf8)
    }

    /// The repository's own `config.yaml`.
    static var repositoryConfig: String {
        get throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            return try String(contentsOf: root.appendingPathComponent("config.yaml"), encoding: .utf8)
        }
    }

    /// Starts the command and returns the running process, its output going to files.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (Process, URL, URL) {
        let process = Process()
        if let umask {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask \(umask) && exec \"$0\" \"$@\"", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let id = UUID().uuidString
        let out = URL(fileURLWithPath: directory.file("out-\(id)"))
        let err = URL(fileURLWithPath: directory.file("err-\(id)"))
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        // One launch at a time, below the descriptor ceiling (``ProcessLaunches``), and the
        // parent's copies of the output files closed as soon as the child has its own.
        try await ProcessLaunches.run(process)
        try? outHandle.close()
        try? errHandle.close()
        return (process, out, err)
    }

    /// Runs the command to completion.
    func run(_ arguments: String..., environment: [String: String] = [:]) async throws -> Result {
        try await run(arguments, environment: environment)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let (process, out, err) = try await start(arguments, environment: environment)
        await Self.waitForExit(process)
        return Result(
            status: process.terminationStatus,
            output: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        )
    }

    static func waitForExit(_ process: Process) async {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Files a request with `submit` and, when it waits for a code, answers it with the code
    /// from the outbox; returns the request's JSON after the last step.
    func fileAndVerify(_ arguments: [String]) async throws -> [String: Any] {
        let submitted = try await run(["submit"] + arguments + ["--json"])
        #expect(submitted.status == 0, "\(arguments): \(submitted.errors)")
        let request = try #require(try json(submitted) as? [String: Any])
        let id = try #require(request["id"] as? String)
        guard request["state"] as? String == "awaitingVerification" else { return request }
        let outbox = try #require(try json(try await run("outbox", "--request", id, "--json")) as? [[String: Any]])
        let body = try #require((outbox.first?["message"] as? [String: Any])?["body"] as? String)
        let verified = try await run("verify", id, "--code", try #require(RightsTestHarness.code(in: body)), "--json")
        #expect(verified.status == 0, "\(arguments): \(verified.errors)")
        return try #require(try json(verified) as? [String: Any])
    }

    /// Decodes the JSON a `--json` command printed.
    func json(_ result: Result) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.output.utf8))
    }
}

/// The deployment the CLI tests run: the probe module behind one-time codes.
func probeDeployment(probe: String = "{ steps: 2 }", intake: String = "{ filings: 1000 }") -> String {
    """
    deployment: { name: cli-test, jurisdiction: CN-PIPL, timezone: Asia/Shanghai }
    policy:
      deadline: { days: 15, business_days: true }
      extension: { days: 15 }
    services:
      store: { driver: sqlite, path: data/ledger.sqlite }
      identity: { code_ttl_seconds: 600, max_attempts: 3 }
      intake: \(intake)
    rights:
      probe: \(probe)
    """
}
