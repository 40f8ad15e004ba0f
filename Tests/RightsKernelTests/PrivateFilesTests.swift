import Foundation
import RightsKernel
import RightsTesting
import Testing

@Suite("Private files: ours are 0600 in 0700 folders, shared folders keep their mode")
struct PrivateFilesTests {
    func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func newFoldersAndFilesArePrivateAndAnExistingFolderIsLeftAlone() throws {
        let directory = try TemporaryDirectory()
        let shared = directory.file("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try PrivateFiles.write(Data("x".utf8), to: shared + "/export.json")
        #expect(try mode(shared) == 0o755, "a folder the caller owns (like /tmp) keeps its mode")
        #expect(try mode(shared + "/export.json") == 0o600)
        try PrivateFiles.write(Data("y".utf8), to: shared + "/new/deeper/file.txt")
        #expect(try mode(shared + "/new") == 0o700)
        #expect(try mode(shared + "/new/deeper") == 0o700)
        #expect(try mode(shared + "/new/deeper/file.txt") == 0o600)
    }
}
