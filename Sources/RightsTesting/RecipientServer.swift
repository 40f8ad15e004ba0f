package import Foundation

/// A real HTTP recipient on loopback (Python's standard library), which fails its first
/// `failures` POSTs with 503 and stores the bodies it accepts: a portability recipient, or the
/// organisation's message webhook.
package final class RecipientServer {
    package let folder: URL
    let process: Process
    package let port: Int

    /// The Standard Webhooks secret every test receiver shares with RightsKit, in the
    /// environment variable `RIGHTSKIT_TEST_RECIPIENT_SECRET` (set once, for this process and
    /// the subprocesses it starts).
    package static let secret: String = {
        let secret = "whsec_" + Data((0..<32).map { UInt8($0 * 7 + 3) }).base64EncodedString()
        setenv(secretEnvironment, secret, 1)
        return secret
    }()
    package static let secretEnvironment = "RIGHTSKIT_TEST_RECIPIENT_SECRET"

    /// `redirectTo`: answer every POST with a 307 to that port on loopback instead. Every POST
    /// must carry a valid Standard Webhooks signature made with ``secret``, a timestamp within
    /// five minutes and a `webhook-id` not delivered before: otherwise 401 (unsigned, altered)
    /// or 409 (a replay), and nothing is received. `standardWebhooks: false` receives what a
    /// standard signs its own way (OpenDSR's certificate signature), which the test checks.
    package init(failures: Int, redirectTo: Int? = nil, standardWebhooks: Bool = true) async throws {
        let secret = Self.secret
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("recipient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = folder.appendingPathComponent("server.py")
        try """
        import base64, hashlib, hmac, http.server, json, os, sys, threading, time
        parent = os.getppid()
        def orphaned():
            # Ends with the test process, whatever happens to it.
            while os.getppid() == parent: time.sleep(0.5)
            os._exit(0)
        threading.Thread(target=orphaned, daemon=True).start()
        folder, failures, redirect, secret, webhooks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
        key = base64.b64decode(secret[len("whsec_"):])
        count = {"n": 0}
        delivered = set()
        def verified(headers, body):
            # Standard Webhooks, as a receiver written from the specification checks it.
            ident, stamp, offered = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature", "")
            if not ident or not stamp or abs(time.time() - int(stamp)) > 300: return 401
            expected = base64.b64encode(hmac.new(key, ("%s.%s." % (ident, stamp)).encode() + body, hashlib.sha256).digest()).decode()
            if not any(v == "v1" and hmac.compare_digest(s, expected) for v, _, s in (p.partition(",") for p in offered.split(" "))): return 401
            if ident in delivered: return 409
            return 0
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                refusal = verified(self.headers, body) if webhooks else 0
                if refusal:
                    with open(os.path.join(folder, "refused"), "a") as f: f.write("%d\\n" % refusal)
                    self.send_response(refusal); self.end_headers(); return
                count["n"] += 1
                with open(os.path.join(folder, "attempts"), "a") as f: f.write("x")
                if redirect:
                    self.send_response(307); self.send_header("Location", "http://127.0.0.1:%d/import" % redirect); self.end_headers(); return
                if count["n"] <= failures:
                    self.send_response(503); self.end_headers(); return
                delivered.add(self.headers.get("webhook-id"))
                with open(os.path.join(folder, "received-%d.json" % count["n"]), "wb") as f: f.write(body)
                with open(os.path.join(folder, "headers-%d.json" % count["n"]), "w") as f: json.dump({k.lower(): v for k, v in self.headers.items()}, f)
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
        process.arguments =
            (python == "/usr/bin/env" ? ["python3"] : []) + [
                script.path, folder.path, "\(failures)", "\(redirectTo ?? 0)", secret, standardWebhooks ? "1" : "0",
            ]
        // Never the test runner's own output: a child holding it open keeps `swift test` waiting.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try await ProcessLaunches.run(process)
        let portFile = folder.appendingPathComponent("port")
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: portFile.path), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        port = Int(try String(contentsOf: portFile, encoding: .utf8)) ?? 0
    }

    package var attempts: Int { ((try? String(contentsOf: folder.appendingPathComponent("attempts"), encoding: .utf8)) ?? "").count }

    package var received: [Data] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("received-") }.sorted()
            .compactMap { try? Data(contentsOf: folder.appendingPathComponent($0)) }
    }

    /// The headers of each delivery received, as the receiver saw them.
    package var receivedHeaders: [[String: String]] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("headers-") }.sorted()
            .compactMap {
                try? JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent($0))) as? [String: String]
            }
    }

    /// The statuses of the deliveries refused (401 unsigned or altered, 409 replayed).
    package var refusals: [Int] {
        ((try? String(contentsOf: folder.appendingPathComponent("refused"), encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            Int($0)
        }
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}
