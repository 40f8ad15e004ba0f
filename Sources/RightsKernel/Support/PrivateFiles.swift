import Foundation

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
