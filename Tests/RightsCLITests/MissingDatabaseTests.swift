import Foundation
import RightsTesting
import Testing

/// An organisation database that is not there (an unmounted volume) is refused, never replaced
/// by the sample's invented people; only `--demo` and the `demo` commands write the sample.
@Suite("No invented data in production")
struct MissingDatabaseTests {
    @Test func serveAndEveryCommandRefuseAMissingDatabaseAndCreateNothing() async throws {
        let cli = try CommandLineRunner(config: try CommandLineRunner.repositoryConfig, executable: "rightskit")
        let data = cli.directory.file("data")
        for arguments in [
            ["serve", "--port", "0"], ["submit", "--right", "access", "--subject", "email:user1@example.cn"], ["requests"],
            ["resume"],
        ] {
            let refused = try await cli.run(arguments)
            #expect(refused.status == 3, "\(arguments): \(refused.status) \(refused.errors)")
            #expect(
                refused.errors.contains("config.yaml:") && refused.errors.contains("sample-business.sqlite does not exist"),
                "\(arguments): \(refused.errors)")
            #expect(!FileManager.default.fileExists(atPath: data), "\(arguments) created \(data)")
        }
        // The explicit demo flag seeds the sample, as a newcomer's first run does.
        let server = try await ServedDeployment(runner: cli)
        #expect(FileManager.default.fileExists(atPath: cli.directory.file("data/sample-business.sqlite")))
        await server.stop()
    }
}
