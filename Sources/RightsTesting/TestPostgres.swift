import Foundation

/// A throwaway PostgreSQL server for tests: its own data folder, a free loopback port, no
/// password (trust on loopback only), stopped and removed when the test process ends. Needs
/// Debian's `postgresql` package (`.ci/run` installs it); as root the server runs as `postgres`,
/// since PostgreSQL refuses to run as root.
package final class TestPostgres: @unchecked Sendable {
    package let port: Int
    package let folder: String
    package let binaries: String
    let runAs: String?

    /// One server per test process, started on first use; each test takes a database of its own.
    package static let shared: Result<TestPostgres, any Error> = Result { try TestPostgres() }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// A server of its own; with `certificate` and `key` (PEM files) it also speaks TLS.
    package init(certificate: String? = nil, key: String? = nil) throws {
        guard let version = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.compactMap(Int.init).max() else {
            throw Failure(description: "PostgreSQL is not installed (apt-get install postgresql)")
        }
        binaries = "/usr/lib/postgresql/\(version)/bin"
        runAs = getuid() == 0 ? "postgres" : nil
        folder = "/tmp/rightskit-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if let runAs {
            guard let account = getpwnam(runAs) else { throw Failure(description: "no '\(runAs)' user to run PostgreSQL as") }
            chown(folder, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        try Data("\(getpid())".utf8).write(to: URL(fileURLWithPath: folder + "/owner.pid"))
        port = try Self.freePort()
        reapEndedRuns()
        try run("initdb", ["-D", folder + "/data", "-U", "rightskit", "-A", "trust", "--no-sync", "-E", "UTF8"])
        var tls = ""
        if let certificate, let key {
            // The server reads its key only when no one else may (0600, its own user's).
            for (source, name) in [(certificate, "server.crt"), (key, "server.key")] {
                let target = folder + "/" + name
                try FileManager.default.copyItem(atPath: source, toPath: target)
                chmod(target, 0o600)
                if let runAs, let account = getpwnam(runAs) { chown(target, account.pointee.pw_uid, account.pointee.pw_gid) }
            }
            tls = " -c ssl=on -c ssl_cert_file=\(folder)/server.crt -c ssl_key_file=\(folder)/server.key"
        }
        try run(
            "pg_ctl",
            [
                "-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60", "start",
                "-o",
                "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=1000"
                    + tls,
            ])
        Self.stopAtExit(self)
    }

    /// Stops and removes the servers of test runs that ended without stopping theirs (a crash
    /// skips `atexit`): each folder names the process that started it, and a folder whose
    /// process is gone is no one's.
    package func reapEndedRuns(in parent: String = "/tmp") {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for name in names where name.hasPrefix("rightskit-pg-") {
            let path = parent + "/" + name
            guard path != folder,
                let text = try? String(contentsOfFile: path + "/owner.pid", encoding: .utf8),
                let owner = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            if FileManager.default.fileExists(atPath: path + "/data/postmaster.pid") {
                try? run("pg_ctl", ["-D", path + "/data", "-m", "immediate", "-w", "stop"])
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// A new, empty database; returns its URL.
    package func database() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try run("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "rightskit", name])
        return url(database: name)
    }

    /// Runs `sql` with psql on the database at `url` (as ``database()`` returned it) and returns
    /// its rows, one per line, columns separated by `|`: plain SQL, as an operator would check.
    package func query(_ sql: String, on url: String) throws -> [String] {
        let name = String(url.split(separator: "/").last ?? "")
        let output = folder + "/psql-\(UUID().uuidString.prefix(8)).out"
        defer { unlink(output) }
        try run(
            "psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "rightskit", "-d", name, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            output: output)
        return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    package func url(database: String) -> String { "postgres://rightskit@127.0.0.1:\(port)/\(database)" }

    /// Runs one PostgreSQL tool to completion, its output to a file in the folder. Spawned
    /// with posix_spawn and reaped with waitpid: Foundation's Process left the child a zombie
    /// when called during the shared server's one-time initialisation. Every descriptor above
    /// stderr is closed in the child, so the server it may start never holds the test runner's
    /// pipes open.
    func run(_ tool: String, _ arguments: [String], output: String? = nil) throws {
        let command =
            ["/bin/sh", "-c", "cd /tmp && exec \"$@\"", "sh"] + (runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + [
                binaries + "/" + tool
            ] + arguments
        let log = output ?? folder + "/\(tool).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = Self.closeFrom?(&actions, 3)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw Failure(description: "\(tool) could not start: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else {
            throw Failure(description: "\(tool) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not
    /// export.
    static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    nonisolated(unsafe) private static var running: [TestPostgres] = []

    /// Stops the server (immediately: it holds nothing worth keeping) when the process exits.
    private static func stopAtExit(_ server: TestPostgres) {
        running.append(server)
        if running.count == 1 {
            atexit {
                for server in TestPostgres.running {
                    try? server.run("pg_ctl", ["-D", server.folder + "/data", "-m", "immediate", "-w", "stop"])
                    try? FileManager.default.removeItem(atPath: server.folder)
                }
            }
        }
    }
}
