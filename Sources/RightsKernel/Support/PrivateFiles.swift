public import Foundation

/// Files and folders that only the deployment's own user may read (0600 and 0700), whatever the
/// umask: ledgers, vaults, keys and exports hold personal data, codes and secrets.
public enum PrivateFiles {
    /// Creates `folder` and any missing parents as 0700. Folders that already exist are left as
    /// they are: the caller may write into a shared one (`/tmp`, the working directory), whose
    /// mode is not ours to change.
    public static func createFolder(_ folder: URL) throws {
        var missing: [URL] = []
        var current = folder.standardizedFileURL
        while !FileManager.default.fileExists(atPath: current.path), current.path != "/" {
            missing.append(current)
            current = current.deletingLastPathComponent()
        }
        for url in missing.reversed() {
            if mkdir(url.path, 0o700) != 0, errno != EEXIST {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            chmod(url.path, 0o700)
        }
    }

    /// Creates (or truncates) an empty file readable by its owner only, its folder included.
    public static func createFile(atPath path: String) throws {
        try createFolder(URL(fileURLWithPath: path).deletingLastPathComponent())
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        fchmod(descriptor, 0o600)
        close(descriptor)
    }

    /// Opens a new private file for writing.
    public static func handle(forNewFileAt path: String) throws -> FileHandle {
        try createFile(atPath: path)
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    /// Writes `data` to a new private file.
    public static func write(_ data: Data, to path: String) throws {
        let handle = try handle(forNewFileAt: path)
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
    }

    /// The 32-byte secret in `path`, created on first use. Any number of processes may start at
    /// once: the secret is written to a file of its own and linked into place, so exactly one is
    /// ever created and every process reads that one.
    public static func sharedSecret(at path: String) throws -> Data {
        if let stored = FileManager.default.contents(atPath: path), stored.count == 32 { return stored }
        var generator = SystemRandomNumberGenerator()
        let candidate = path + ".\(UUID().uuidString.prefix(8))"
        try write(Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }), to: candidate)
        defer { unlink(candidate) }
        if link(candidate, path) != 0, errno != EEXIST {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        guard let stored = FileManager.default.contents(atPath: path), stored.count == 32 else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return stored
    }

    /// Makes sure a database file exists before SQLite opens it, as 0600: SQLite gives its
    /// journal, WAL and shared-memory files the mode of the database file.
    public static func prepareDatabase(atPath path: String) throws {
        if FileManager.default.fileExists(atPath: path) {
            chmod(path, 0o600)
            try createFolderIfMissing(URL(fileURLWithPath: path).deletingLastPathComponent())
        } else {
            try createFile(atPath: path)
        }
    }

    private static func createFolderIfMissing(_ folder: URL) throws {
        if !FileManager.default.fileExists(atPath: folder.path) { try createFolder(folder) }
    }
}
