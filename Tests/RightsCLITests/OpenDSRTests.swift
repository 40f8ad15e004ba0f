import Foundation
import GRDB
import NIOHTTP1
import RightsTesting
import Testing

/// A controller as OpenDSR 2.0 describes one, written from the specification and sharing no
/// code with the server: it sends JSON requests with its token, and checks every signed answer
/// with the certificate the processor's discovery publishes, using `openssl` as a controller
/// would, before reading the body.
struct OpenDSRController {
    let id: String
    let token: String
    let folder: URL

    /// Whether `signature` (Base64 DER) signs `body` under the certificate at `certificate`.
    static func verifies(_ body: Data, signature: String?, certificate: URL, folder: URL) async throws -> Bool {
        guard let signature, let der = Data(base64Encoded: signature) else { return false }
        let name = UUID().uuidString
        let bodyFile = folder.appendingPathComponent("\(name).body")
        let signatureFile = folder.appendingPathComponent("\(name).sig")
        let publicKey = folder.appendingPathComponent("\(name).pub")
        try body.write(to: bodyFile)
        try der.write(to: signatureFile)
        guard try await OpenSSL.run(["x509", "-in", certificate.path, "-pubkey", "-noout", "-out", publicKey.path]) == 0 else {
            return false
        }
        return try await OpenSSL.run(["dgst", "-sha256", "-verify", publicKey.path, "-signature", signatureFile.path, bodyFile.path]) == 0
    }

    func filing(_ type: String, email: String, id: String = UUID().uuidString.lowercased(), extra: [String: Any] = [:]) -> [String: Any] {
        [
            "regulation": "gdpr", "subject_request_id": id, "subject_request_type": type, "submitted_time": "2026-12-01T09:00:00Z",
            "subject_identities": [["identity_type": "email", "identity_value": email, "identity_format": "raw"]], "api_version": "2.0",
        ].merging(extra) { $1 }
    }
}

/// `openssl` as a subprocess: the certificate authority, the processor's certificate, and the
/// checks a controller makes.
enum OpenSSL {
    /// Runs `openssl` with `arguments`: its exit status, and what it printed when `output` asks.
    /// Launched one at a time with every other subprocess of the tests (Foundation's
    /// `Process.run` is not safe to call concurrently, see ``CommandLineRunner``), and awaited
    /// without holding a thread.
    @discardableResult
    static func run(_ arguments: [String], output: Pipe? = nil) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try await ProcessLaunches.run(process)
        await CommandLineRunner.waitForExit(process)
        return process.terminationStatus
    }

    /// A CA and a processor certificate for `domain` issued by it (never self-signed, §4.1),
    /// with the processor's ECDSA P-256 key; returns the CA's certificate.
    static func issue(domain: String, in folder: URL) async throws -> URL {
        let file = { (name: String) in folder.appendingPathComponent(name).path }
        try await run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", file("ca.key")])
        try await run([
            "req", "-x509", "-new", "-key", file("ca.key"), "-subj", "/CN=Test Processor CA", "-days", "30", "-out", file("ca.pem"),
        ])
        try await run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", file("processor.ec.key")])
        try await run(["pkcs8", "-topk8", "-nocrypt", "-in", file("processor.ec.key"), "-out", file("processor.key")])
        try await run(["req", "-new", "-key", file("processor.key"), "-subj", "/CN=\(domain)", "-out", file("processor.csr")])
        try "subjectAltName=DNS:\(domain)\n".write(toFile: file("san.ext"), atomically: true, encoding: .utf8)
        try await run([
            "x509", "-req", "-in", file("processor.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "30",
            "-extfile", file("san.ext"), "-out", file("processor.pem"),
        ])
        return folder.appendingPathComponent("ca.pem")
    }
}

@Suite("OpenDSR 2.0: controllers send their subjects' requests to this processor")
struct OpenDSRTests {
    static let domain = "privacy.example.test"

    /// A served deployment speaking OpenDSR, its controller's token, and the CA that issued its
    /// certificate.
    static func served(callbacks: Int? = nil, erasureReview: Bool = false) async throws -> (ServedDeployment, OpenDSRController, URL) {
        let keys = try TemporaryDirectory(prefix: "opendsr-keys")
        let ca = try await OpenSSL.issue(domain: domain, in: URL(fileURLWithPath: keys.path))
        let allowed = callbacks.map { "callbacks: [http://127.0.0.1:\($0)/]" } ?? "callbacks: []"
        var config = try ServedDeployment.repositoryConfig(server: "  background: { deliver_seconds: 1 }\n")
        if erasureReview {
            config = config.replacingOccurrences(
                of: "    grounds: [purpose-achieved, service-ended, consent-withdrawn, unlawful-processing, other-law]",
                with: "    grounds: [purpose-achieved, service-ended, consent-withdrawn, unlawful-processing, other-law]\n    review: true")
        }
        config += """

            standards:
              public_url: http://127.0.0.1
              opendsr:
                processor_domain: \(domain)
                signing_key: \(keys.file("processor.key"))
                certificate: \(keys.file("processor.pem"))
                controllers:
                  ACME_CONTROLLER: { \(allowed) }
                  OTHER_CONTROLLER: { callbacks: [] }

            """
        let server = try await ServedDeployment(config: config)
        let token = try await server.token("controller", name: "ACME_CONTROLLER")
        // Kept alive with the test: the keys folder holds the CA the checks use.
        Self.keep.append(keys)
        return (server, OpenDSRController(id: "ACME_CONTROLLER", token: token, folder: URL(fileURLWithPath: keys.path)), ca)
    }

    nonisolated(unsafe) static var keep: [TemporaryDirectory] = []

    /// Fetches the certificate discovery publishes, checks its chain and domain, and returns it.
    static func certificate(_ server: ServedDeployment, controller: OpenDSRController, ca: URL) async throws -> URL {
        let discovery = try await server.call(.GET, "/opendsr/v1/discovery")
        let address = try #require(discovery.json["processor_certificate"] as? String)
        let path = try #require(URL(string: address)?.path)
        let pem = try await server.call(.GET, path)
        let file = controller.folder.appendingPathComponent("published.pem")
        try pem.body.write(to: file)
        #expect(try await OpenSSL.run(["verify", "-CAfile", ca.path, file.path]) == 0, "issued by the CA, not self-signed")
        #expect(try await OpenSSL.run(["x509", "-in", file.path, "-noout", "-checkhost", domain]) == 0, "issued to the processor's domain")
        return file
    }

    @Test func discoveryFilingStatusAndEveryAnswerSignedWithThePublishedCertificate() async throws {
        let (server, controller, ca) = try await Self.served()
        let discovery = try await server.call(.GET, "/opendsr/v1/discovery")
        #expect(discovery.status == 200)
        #expect(discovery.json["api_version"] as? String == "2.0")
        #expect((discovery.json["supported_subject_request_types"] as? [String]) == ["access", "erasure", "portability"])
        let identities = discovery.json["supported_identities"] as? [[String: String]] ?? []
        #expect(identities.contains(["identity_type": "email", "identity_format": "raw"]))
        let certificate = try await Self.certificate(server, controller: controller, ca: ca)
        #expect(discovery.headers["x-opendsr-processor-domain"] == Self.domain)
        #expect(
            try await OpenDSRController.verifies(
                discovery.body, signature: discovery.headers["x-opendsr-signature"], certificate: certificate, folder: controller.folder))

        let filing = controller.filing("access", email: "user41@example.cn")
        let sent = try JSONSerialization.data(withJSONObject: filing)
        let created = try await server.call(
            .POST, "/opendsr/v1/requests", body: sent,
            headers: ["Authorization": "Bearer \(controller.token)", "Content-Type": "application/json"])
        #expect(created.status == 201, "\(created.text)")
        #expect(
            try await OpenDSRController.verifies(
                created.body, signature: created.headers["x-opendsr-signature"], certificate: certificate, folder: controller.folder))
        let id = try #require(filing["subject_request_id"] as? String)
        #expect(created.json["subject_request_id"] as? String == id && created.json["controller_id"] as? String == "ACME_CONTROLLER")
        #expect(created.json["encoded_request"] as? String == sent.base64EncodedString())
        #expect(created.json["expected_completion_time"] != nil && created.json["received_time"] != nil)

        // The controller verified the person: nothing is sent to them, and the work is done.
        let status = try await server.call(.GET, "/opendsr/v1/requests/\(id)", headers: ["Authorization": "Bearer \(controller.token)"])
        #expect(status.json["request_status"] as? String == "completed", "\(status.text)")
        #expect(
            try await OpenDSRController.verifies(
                status.body, signature: status.headers["x-opendsr-signature"], certificate: certificate, folder: controller.folder))
        let codes = try await server.runner.run("outbox", "--request", id, "--json")
        #expect(!codes.output.contains("verification-code"), "no code goes to a person the controller vouched for")

        // OpenGDPR's path and headers are honoured too (§10.1).
        let legacy = try await server.call(
            .GET, "/opendsr/v1/opengdpr_requests/\(id)", headers: ["Authorization": "Bearer \(controller.token)"])
        #expect(legacy.json["request_status"] as? String == "completed")
        #expect(
            try await OpenDSRController.verifies(
                legacy.body, signature: legacy.headers["x-opengdpr-signature"], certificate: certificate, folder: controller.folder))
        #expect(legacy.headers["x-opengdpr-processor-domain"] == Self.domain)

        // The same id again is refused: a retried filing is recorded once.
        let again = try await server.call(
            .POST, "/opendsr/v1/requests", body: sent,
            headers: ["Authorization": "Bearer \(controller.token)", "Content-Type": "application/json"])
        #expect(again.status == 400 && ((again.json["error"] as? [String: Any])?["code"] as? Int) == 400)
        let audit = try await server.runner.run("audit", "verify")
        #expect(audit.status == 0)
    }

    @Test func everyRefusalIsAnErrorObjectThatEchoesNothingAndFilesNothing() async throws {
        let (server, controller, _) = try await Self.served()
        let email = "user42@example.cn"
        let json = ["Authorization": "Bearer \(controller.token)", "Content-Type": "application/json"]
        func post(_ object: [String: Any], headers: [String: String]? = nil) async throws -> ServedDeployment.Reply {
            try await server.call(
                .POST, "/opendsr/v1/requests", body: try JSONSerialization.data(withJSONObject: object), headers: headers ?? json)
        }
        let operatorToken = try await server.token("operator", name: "ana")
        var hashed = controller.filing("erasure", email: email)
        hashed["subject_identities"] = [
            ["identity_type": "email", "identity_value": String(repeating: "ab", count: 32), "identity_format": "sha512"]
        ]
        var nobody = controller.filing("erasure", email: email)
        nobody["subject_identities"] = [
            ["identity_type": "email", "identity_value": String(repeating: "ab", count: 32), "identity_format": "sha256"]
        ]
        var unknownType = controller.filing("erasure", email: email)
        unknownType["subject_identities"] = [["identity_type": "roku_advertising_id", "identity_value": "x", "identity_format": "raw"]]
        let replies: [(ServedDeployment.Reply, Int, String)] = [
            (
                try await post(controller.filing("access", email: email), headers: ["Content-Type": "application/json"]), 401,
                "Unauthenticated"
            ),
            (
                try await post(controller.filing("access", email: email), headers: ["Authorization": "Bearer \(operatorToken)"]), 403,
                "Forbidden"
            ),
            (try await post(controller.filing("access", email: email, extra: ["surprise": 1])), 400, "UnknownField"),
            (
                try await post(controller.filing("access", email: email, id: "A7551968-D5D6-44B2-9831-815AC9017798")), 400,
                "IllegalArgumentException"
            ),
            (try await post(controller.filing("rectification", email: email)), 400, "UnsupportedRequestType"),
            (try await post(controller.filing("access", email: email, extra: ["regulation": "pipl"])), 400, "IllegalArgumentException"),
            (try await post(hashed), 400, "UnsupportedIdentityFormat"),
            (try await post(nobody), 400, "NoMatch"),
            (try await post(unknownType), 400, "UnsupportedIdentityType"),
            (
                try await post(controller.filing("access", email: email, extra: ["status_callback_urls": ["https://attacker.example/x"]])),
                400, "CallbackNotAllowed"
            ),
        ]
        for (reply, status, reason) in replies {
            let error = reply.json["error"] as? [String: Any]
            #expect(reply.status == status && error?["code"] as? Int == status, "\(reason): \(reply.status) \(reply.text)")
            #expect(((error?["errors"] as? [[String: Any]])?.first?["reason"] as? String) == reason, "\(reply.text)")
            #expect(!reply.text.contains(email) && !reply.text.contains("attacker"), "no identity or address echoed")
        }
        let count = try await DatabaseQueue(path: server.runner.directory.file("data/rightskit.sqlite")).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests")
        }
        #expect(count == 0)

        // Another controller's request is as unknown as one that does not exist.
        let filing = controller.filing("access", email: email)
        _ = try await post(filing)
        let otherToken = try await server.token("controller", name: "OTHER_CONTROLLER")
        let peek = try await server.call(
            .GET, "/opendsr/v1/requests/\(filing["subject_request_id"] as? String ?? "")",
            headers: ["Authorization": "Bearer \(otherToken)"])
        #expect(peek.status == 404)
        // A completed request cannot be cancelled.
        let late = try await server.call(
            .DELETE, "/opendsr/v1/requests/\(filing["subject_request_id"] as? String ?? "")",
            headers: ["Authorization": "Bearer \(controller.token)"])
        #expect(
            late.status == 400
                && ((late.json["error"] as? [String: Any])?["errors"] as? [[String: Any]])?.first?["reason"] as? String == "NotPending")
        // A revoked token stops at once.
        #expect(try await server.runner.run("token", "revoke", "ACME_CONTROLLER").status == 0)
        #expect(try await post(controller.filing("access", email: email)).status == 403)
    }

    @Test func aPendingRequestIsCancelledAndEveryChangeIsCalledBackSignedWithTheCertificate() async throws {
        let receiver = try await RecipientServer(failures: 1, standardWebhooks: false)
        let (server, controller, ca) = try await Self.served(callbacks: receiver.port, erasureReview: true)
        let certificate = try await Self.certificate(server, controller: controller, ca: ca)
        let callback = "http://127.0.0.1:\(receiver.port)/opendsr/callbacks"
        let filing = controller.filing("erasure", email: "user43@example.cn", extra: ["status_callback_urls": [callback]])
        let id = try #require(filing["subject_request_id"] as? String)
        let created = try await server.call(
            .POST, "/opendsr/v1/requests", body: try JSONSerialization.data(withJSONObject: filing),
            headers: ["Authorization": "Bearer \(controller.token)", "Content-Type": "application/json"])
        #expect(created.status == 201, "\(created.text)")
        let pending = try await server.call(.GET, "/opendsr/v1/requests/\(id)", headers: ["Authorization": "Bearer \(controller.token)"])
        #expect(pending.json["request_status"] as? String == "pending", "waiting for the privacy team's review")

        let cancelled = try await server.call(
            .DELETE, "/opendsr/v1/requests/\(id)", headers: ["Authorization": "Bearer \(controller.token)"])
        #expect(cancelled.status == 202, "\(cancelled.text)")
        #expect(cancelled.json["subject_request_id"] as? String == id && cancelled.json["received_time"] != nil)
        #expect(
            try await OpenDSRController.verifies(
                cancelled.body, signature: cancelled.headers["x-opendsr-signature"], certificate: certificate, folder: controller.folder))

        var bodies: [Data] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            bodies = receiver.received
            let last = bodies.last.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            if last?["request_status"] as? String == "cancelled" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let statuses = bodies.compactMap { (try? JSONSerialization.jsonObject(with: $0) as? [String: Any])?["request_status"] as? String }
        #expect(statuses.first == "pending" && statuses.last == "cancelled", "\(statuses)")
        #expect(receiver.attempts == statuses.count + 1, "the first attempt failed and was tried again, then each change once")
        for (body, headers) in zip(bodies, receiver.receivedHeaders) {
            // Checked on the raw body before it is parsed (§8.8).
            #expect(
                try await OpenDSRController.verifies(
                    body, signature: headers["x-opendsr-signature"], certificate: certificate, folder: controller.folder))
            let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect(object?["status_callback_url"] as? String == callback && object?["subject_request_id"] as? String == id)
            #expect(object?["controller_id"] as? String == "ACME_CONTROLLER")
        }
    }

    @Test func aHashedIdentityIsMatchedByHashingTheMapsIdentitiesTheSameWay() async throws {
        let (server, controller, _) = try await Self.served()
        let discovery = try await server.call(.GET, "/opendsr/v1/discovery")
        let formats = (discovery.json["supported_identities"] as? [[String: String]] ?? []).filter { $0["identity_type"] == "email" }
            .compactMap { $0["identity_format"] }
        #expect(Set(formats) == ["raw", "sha256", "sha1", "md5"])
        // The controller hashes the address it holds (here with openssl, as it might).
        let file = controller.folder.appendingPathComponent("address")
        try Data("user44@example.cn".utf8).write(to: file)
        let pipe = Pipe()
        try await OpenSSL.run(["dgst", "-sha256", "-r", file.path], output: pipe)
        let digest =
            String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(String.init)
            ?? ""
        var filing = controller.filing("access", email: "")
        filing["subject_identities"] = [["identity_type": "email", "identity_value": digest, "identity_format": "sha256"]]
        let id = try #require(filing["subject_request_id"] as? String)
        let created = try await server.call(
            .POST, "/opendsr/v1/requests", body: try JSONSerialization.data(withJSONObject: filing),
            headers: ["Authorization": "Bearer \(controller.token)", "Content-Type": "application/json"])
        #expect(created.status == 201, "\(created.text)")
        let operatorToken = try await server.token("operator", name: "ana")
        let seen = try await server.call(.GET, "/v1/admin/requests/\(id)", headers: ["Authorization": "Bearer \(operatorToken)"])
        let filed = seen.json["request"] as? [String: Any]
        let outcome = filed?["outcome"] as? [String: Any]
        let message = outcome?["message"] as? String ?? ""
        #expect(filed?["channel"] as? String == "opendsr:ACME_CONTROLLER")
        #expect(outcome?["status"] as? String == "completed", "\(seen.text.prefix(600))")
        #expect(
            message.hasPrefix("Your data: ") && !message.hasPrefix("Your data: 0 record(s)"),
            "the person the digest names was found: \(message)")
    }
}
