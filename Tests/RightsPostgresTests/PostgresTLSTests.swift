import Foundation
import Logging
import RightsKernel
import RightsPostgres
import RightsTesting
import Testing

/// TLS to PostgreSQL as `sslmode` says, against a server started with a certificate from a CA
/// the test makes with openssl: `verify-full` connects and checks both the CA and the host
/// name; an untrusted CA or another name is refused with a clear error; `require` encrypts
/// without checking; unknown URL parameters are refused at load.
@Suite("TLS to PostgreSQL", .serialized)
struct PostgresTLSTests {
    /// A CA, a server certificate it signs for `localhost`, and a second CA nobody trusts.
    struct Certificates {
        let folder: TemporaryDirectory
        var ca: String { folder.file("ca.crt") }
        var otherCA: String { folder.file("other-ca.crt") }
        var server: String { folder.file("server.crt") }
        var key: String { folder.file("server.key") }

        init() throws {
            folder = try TemporaryDirectory()
            func openssl(_ arguments: String...) throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["openssl"] + arguments
                process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try ProcessLaunches.runBlocking(process)
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw CancellationError() }  // openssl failed
            }
            try openssl(
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj",
                "/CN=RightsKit Test CA")
            try openssl(
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2", "-subj",
                "/CN=Someone Else CA")
            try openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
            try "subjectAltName=DNS:localhost\n".write(toFile: folder.file("san.cnf"), atomically: true, encoding: .utf8)
            try openssl(
                "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days",
                "2",
                "-extfile", "san.cnf")
        }
    }

    static let setup: Result<(Certificates, TestPostgres), any Error> = Result {
        let certificates = try Certificates()
        return (certificates, try TestPostgres(certificate: certificates.server, key: certificates.key))
    }

    func open(_ url: String) async throws -> PostgresStore {
        try await PostgresStore(
            location: try PostgresLocation(url: url), keysFolder: try TemporaryDirectory().file("keys"), logger: Logger(label: "test"))
    }

    func refusal(_ url: String) async -> String {
        do {
            _ = try await open(url)
            return "connected"
        } catch {
            return "\(error)"
        }
    }

    @Test func verifyFullConnectsWithTheTestCAAndRefusesAnotherCAOrName() async throws {
        let (certificates, server) = try Self.setup.get()
        let name = String(try server.database().split(separator: "/").last ?? "")
        let base = "postgres://rightskit@localhost:\(server.port)/\(name)"
        let store = try await open(base + "?sslmode=verify-full&sslrootcert=\(certificates.ca)")
        #expect(await store.isReachable())
        let rows = try server.query("SELECT COUNT(*) FROM pg_stat_ssl WHERE ssl", on: server.url(database: name))
        #expect((Int(rows.first ?? "0") ?? 0) >= 1, "the connections are encrypted")

        let untrusted = await refusal(base + "?sslmode=verify-full&sslrootcert=\(certificates.otherCA)")
        #expect(untrusted.contains("TLS: the server's certificate could not be verified"), "\(untrusted)")
        let systemTrust = await refusal(base + "?sslmode=verify-full")
        #expect(systemTrust.contains("TLS:"), "a private CA is not trusted by default: \(systemTrust)")
        let wrongName = await refusal(
            "postgres://rightskit@127.0.0.1:\(server.port)/\(name)?sslmode=verify-full&sslrootcert=\(certificates.ca)")
        #expect(
            wrongName.contains("TLS:") && !wrongName.contains("connected"), "the certificate names localhost, not 127.0.0.1: \(wrongName)")

        // `require` encrypts without checking; the plain server of the other tests refuses it.
        let encrypted = try await open("postgres://rightskit@127.0.0.1:\(server.port)/\(name)?sslmode=require")
        #expect(await encrypted.isReachable())
        let plain = try TestPostgres.shared.get()
        let noTLS = await refusal("postgres://rightskit@127.0.0.1:\(plain.port)/postgres?sslmode=require")
        #expect(noTLS.contains("does not offer TLS"), "\(noTLS)")
    }

    @Test func sslmodeDefaultsToVerifyFullOffThisMachineAndUnknownParametersAreRefused() throws {
        #expect(try PostgresLocation(url: "postgres://app@db.internal.example/rights").tls == .verifyFull)
        #expect(try PostgresLocation(url: "postgres://app@127.0.0.1/rights").tls == .disable)
        #expect(try PostgresLocation(url: "postgres://app@db.internal.example/rights?sslmode=require").tls == .require)
        #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation(url: "postgres://app@db.example/rights?ssl=true") }
        #expect(throws: PostgresLocation.Invalid.self) { try PostgresLocation(url: "postgres://app@db.example/rights?sslmode=prefer") }
        let unknown = #expect(throws: PostgresLocation.Invalid.self) {
            try PostgresLocation(url: "postgres://app@db.example/rights?sslmode=verify-full&connect_timeout=5")
        }
        #expect(unknown?.description.contains("unknown URL parameter 'connect_timeout'") == true, "\(String(describing: unknown))")
    }
}
