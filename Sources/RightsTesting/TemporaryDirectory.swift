import Foundation

/// A folder under the system's temporary directory, removed when the last reference goes.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "rightskit") throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// A path inside the folder.
    public func file(_ name: String) -> String {
        URL(fileURLWithPath: path).appendingPathComponent(name).path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
