import Foundation
import RightsStore
import RightsTesting
import Testing

/// `check-config` against thousands of mutations of the repository's `config.yaml`, each in a
/// real subprocess: no crash, no hang, every error located, nothing written.
@Suite("A config that cannot crash: check-config fuzzed")
struct ConfigFuzzTests {
    /// The sample's deterministic generator (SplitMix64), so a failing mutation can be replayed.
    typealias Generator = SeededGenerator

    static let values: [String] = [
        "9223372036854775807", "-9223372036854775808", "25269512429739112", "-1", "0", "null", "[]", "{}", "~", "\"\\u0000\"",
        String(repeating: "x", count: 300), "../../etc/passwd", "config.yaml", "data/sample-business.sqlite", "data/rightskit.sqlite",
        "new/folder/v.sqlite", "1e400", "0x10", "true", "\"中文\"", "!!binary AAAA", "&a x", "*a", "2027-02-30",
        "{ days: 9223372036854775807 }", "{ years: 25269512429739112, basis: b, from: created_at }", "\"a\\nb\"", "'\u{202E}x'",
    ]

    static func mutate(_ text: [UInt8], _ random: inout Generator) -> [UInt8] {
        var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let index = Int.random(in: 0..<lines.count, using: &random)
        switch Int.random(in: 0..<9, using: &random) {
        case 0: lines.remove(at: index)
        case 1: lines.insert(lines[Int.random(in: 0..<lines.count, using: &random)], at: index)
        case 2:
            let line = lines[index]
            let value = Array(values.randomElement(using: &random)!.utf8)
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                lines[index] = Array(line[...colon]) + [UInt8(ascii: " ")] + value
            } else {
                lines[index] = line + [UInt8(ascii: " ")] + value
            }
        case 3:
            lines[index] =
                Array(repeating: UInt8(ascii: " "), count: Int.random(in: 0..<6, using: &random))
                + lines[index].drop { $0 == UInt8(ascii: " ") }
        case 4: return Array(text.prefix(Int.random(in: 0..<text.count, using: &random)))
        case 5: lines[index].append(UInt8.random(in: 128...255, using: &random))
        case 6: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &random))
        case 7:
            let key = ["unknown_key", "days", "vault", "path", "years", "attempts"].randomElement(using: &random)!
            lines.insert(Array("  \(key): \(values.randomElement(using: &random)!)".utf8), at: index)
        default:
            let line = lines[index]
            if let start = line.firstIndex(where: { (48...57).contains($0) }) {
                let end = line[start...].firstIndex { !(48...57).contains($0) } ?? line.endIndex
                lines[index] = Array(line[..<start]) + Array(values[Int.random(in: 0..<5, using: &random)].utf8) + Array(line[end...])
            }
        }
        return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    /// Every path under `folder` with its size and modification time.
    static func listing(_ folder: String) -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let path = enumerator?.nextObject() as? String {
            let attributes = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + path)) ?? [:]
            result[path] = "\(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? 0)"
        }
        return result
    }

    struct Finding: Sendable, CustomStringConvertible {
        var mutation: Int
        var problem: String
        var description: String { "mutation \(mutation): \(problem)" }
    }

    @Test func twoThousandMutationsNeitherCrashHangWriteNorGoUnlocated() async throws {
        let mutations = 2_000
        let workers = 2
        let template = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        #expect(try await template.run("demo", "seed", "--subjects", "20").status == 0)
        let original = Array(try CommandLineRunner.repositoryConfig.utf8)
        let findings = try await withThrowingTaskGroup(of: [Finding].self) { group in
            for worker in 0..<workers {
                let folder = try TemporaryDirectory(prefix: "rightskit-fuzz")
                try FileManager.default.copyItem(atPath: template.directory.file("data"), toPath: folder.file("data"))
                group.addTask {
                    var findings: [Finding] = []
                    let runner = try CommandLineRunner(directory: folder, executable: "rightskit")
                    for mutation in stride(from: worker, to: mutations, by: workers) {
                        var random = Generator(seed: UInt64(mutation) &* 7_919)
                        var text = original
                        for _ in 0..<Int.random(in: 1...3, using: &random) { text = Self.mutate(text, &random) }
                        try Data(text).write(to: URL(fileURLWithPath: folder.file("config.yaml")))
                        let before = Self.listing(folder.path)
                        var outcome = try await runner.check(timeout: 2)
                        if outcome.timedOut {
                            outcome = try await runner.check(timeout: 10)  // once more, in case the machine was busy
                            if outcome.timedOut || outcome.seconds > 2 {
                                findings.append(Finding(mutation: mutation, problem: "hung over 2 s"))
                            }
                        }
                        if outcome.signalled {
                            findings.append(Finding(mutation: mutation, problem: "crashed: \(outcome.errors.prefix(200))"))
                        }
                        if ![0, 3].contains(outcome.status), !outcome.timedOut, !outcome.signalled {
                            findings.append(Finding(mutation: mutation, problem: "exit \(outcome.status): \(outcome.errors.prefix(200))"))
                        }
                        if outcome.status == 3,
                            outcome.errors.range(of: #"config\.yaml:[1-9][0-9]*:[1-9][0-9]*: "#, options: .regularExpression) == nil
                        {
                            findings.append(Finding(mutation: mutation, problem: "unlocated: \(outcome.errors.prefix(200))"))
                        }
                        let after = Self.listing(folder.path)
                        let compared = before
                        if after != compared {
                            findings.append(
                                Finding(
                                    mutation: mutation,
                                    problem: "wrote \(Set(after.keys).symmetricDifference(compared.keys).sorted().prefix(3))"))
                            for path in Set(after.keys).subtracting(compared.keys) {
                                try? FileManager.default.removeItem(atPath: folder.file(path))
                            }
                        }
                    }
                    return findings
                }
            }
            var all: [Finding] = []
            for try await found in group { all += found }
            return all.sorted { $0.mutation < $1.mutation }
        }
        #expect(findings.isEmpty, "\(findings.count) of \(mutations): \(findings.prefix(8))")
    }
}

extension CommandLineRunner {
    struct Check {
        var status: Int32 = 0
        var errors = ""
        var timedOut = false
        var signalled = false
        var seconds: Double = 0
    }

    /// Runs `check-config` with `posix_spawn` (thousands of launches; Foundation's Process
    /// crashed in `run()` after a few hundred), killing it after `timeout` seconds.
    func check(timeout: Double) async throws -> Check {
        let started = Date()
        let errorsPath = directory.file("err-check")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let arguments = [executable.path, "check-config", "--config", directory.file("config.yaml")]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = Self.launches.withLock { posix_spawn(&pid, executable.path, &actions, nil, &argv, environ) }
        guard spawned == 0 else { throw CommandLineError(message: "posix_spawn failed: \(spawned)") }
        var result = Check()
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date().timeIntervalSince(started) > timeout {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                result.timedOut = true
                break
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        result.seconds = Date().timeIntervalSince(started)
        let signal = status & 0x7F
        result.signalled = !result.timedOut && signal != 0
        result.status = signal == 0 ? (status >> 8) & 0xFF : -signal
        result.errors = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errorsPath)
        return result
    }
}
