import Foundation

extension RightRequest {
    /// The folder for the files a response produces (`<output>/<request id>/`), created if needed.
    public func responseFolder(under output: String) throws -> URL {
        let folder = URL(fileURLWithPath: output).appendingPathComponent(id.rawValue)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
