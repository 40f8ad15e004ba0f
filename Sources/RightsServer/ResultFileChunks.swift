import Foundation

/// A result file read in chunks as the response is sent, so a large copy never sits in memory.
struct ResultFileChunks: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let path: String
    static let chunkSize = 64 * 1024

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        var opened = false
        var file: FileHandle?

        mutating func next() async throws -> ArraySlice<UInt8>? {
            if !opened {
                opened = true
                file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            }
            guard let file else { return nil }
            guard let data = try file.read(upToCount: ResultFileChunks.chunkSize), !data.isEmpty else {
                try file.close()
                self.file = nil
                return nil
            }
            return ArraySlice(data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path) }
}
