public import Foundation

extension RightRequest {
    /// The folder for the files a response produces (`<output>/<request id>/`), created if needed,
    /// readable by the deployment's user only.
    public func responseFolder(under output: String) throws -> URL {
        let folder = URL(fileURLWithPath: output).appendingPathComponent(id.rawValue)
        try PrivateFiles.createFolder(folder)
        return folder
    }
}
