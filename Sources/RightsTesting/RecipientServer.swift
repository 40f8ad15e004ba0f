package import Foundation

/// A real HTTP recipient on loopback (Python's standard library), which fails its first
/// `failures` POSTs with 503 and stores the bodies it accepts: a portability recipient, or the
/// organisation's message webhook.
package final class RecipientServer {
    package let folder: URL
    let process: Process
    package let port: Int

    /// `redirectTo`: answer every POST with a 307 to that port on loopback instead.
    package init(failures: Int, redirectTo: Int? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("recipient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = folder.appendingPathComponent("server.py")
        try """
        import http.server, os, sys, threading, time
        parent = os.getppid()
        def orphaned():
            # Ends with the test process, whatever happens to it.
            while os.getppid() == parent: time.sleep(0.5)
            os._exit(0)
        threading.Thread(target=orphaned, daemon=True).start()
        folder, failures, redirect = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        count = {"n": 0}
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                count["n"] += 1
                with open(os.path.join(folder, "attempts"), "a") as f: f.write("x")
                if redirect:
                    self.send_response(307); self.send_header("Location", "http://127.0.0.1:%d/import" % redirect); self.end_headers(); return
                if count["n"] <= failures:
                    self.send_response(503); self.end_headers(); return
                with open(os.path.join(folder, "received-%d.json" % count["n"]), "wb") as f: f.write(body)
                with open(os.path.join(folder, "request-id"), "w") as f: f.write(self.headers.get("X-RightsKit-Request", ""))
                self.send_response(201); self.end_headers()
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        with open(os.path.join(folder, "port.tmp"), "w") as f: f.write(str(server.server_address[1]))
        os.rename(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
        server.serve_forever()
        """.write(to: script, atomically: true, encoding: .utf8)
        process = Process()
        // The system interpreter when there is one: a version manager's shim may not pass signals on.
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "/usr/bin/env"
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [script.path, folder.path, "\(failures)", "\(redirectTo ?? 0)"]
        // Never the test runner's own output: a child holding it open keeps `swift test` waiting.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let portFile = folder.appendingPathComponent("port")
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: portFile.path), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        port = Int(try String(contentsOf: portFile, encoding: .utf8)) ?? 0
    }

    package var attempts: Int { ((try? String(contentsOf: folder.appendingPathComponent("attempts"), encoding: .utf8)) ?? "").count }

    package var received: [Data] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("received-") }.sorted()
            .compactMap { try? Data(contentsOf: folder.appendingPathComponent($0)) }
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}
