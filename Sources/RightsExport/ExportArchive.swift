import Foundation
public import RightsKernel
import ZIPFoundation

/// A subject's copy as one ZIP file (ZIPFoundation: deflated, ZIP64 past 4 GiB), created
/// owner-only like every file RightsKit writes.
enum ExportArchive {
    /// Archives `files` (absolute paths) under their last path component into `path`.
    static func write(_ files: [String], to path: String) throws {
        try PrivateFiles.createFolder(URL(fileURLWithPath: path).deletingLastPathComponent())
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for file in files {
            let url = URL(fileURLWithPath: file)
            try archive.addEntry(
                with: url.lastPathComponent, relativeTo: url.deletingLastPathComponent(), compressionMethod: .deflate)
        }
        // ZIPFoundation creates the file with the process's umask: keep it owner-only.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}

/// The export formats RightsKit ships: JSON, CSV and ZIP. Composition roots give them to the
/// modules as `Services.exports`.
public struct StandardExportFormats: ExportFormats {
    public init() {}

    public func json(at path: String) throws -> any ExportFile { try JSONExportWriter(path: path) }
    public func csv(in folder: String) throws -> any ExportFile { try CSVExportWriter(folder: folder) }
    public func archive(_ files: [String], to path: String) throws { try ExportArchive.write(files, to: path) }
}
