import Foundation
public import RightsKernel

/// Streams an export into one CSV file per table (`<source>.<table>.csv`), one line per value:
/// `row,category,column,value`. The long shape lets rows of one table arrive category by
/// category without holding anything in memory.
public final class CSVExportWriter: ExportFile {
    private let folder: String
    private var handles: [String: FileHandle] = [:]
    private var buffers: [String: Data] = [:]
    /// The files written, in the order they were started.
    public private(set) var files: [String] = []

    public init(folder: String) throws {
        self.folder = folder
        try PrivateFiles.createFolder(URL(fileURLWithPath: folder))
    }

    public func write(_ record: ExportRecord) throws {
        let name = "\(record.source).\(record.table).csv"
        if handles[name] == nil {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            handles[name] = try PrivateFiles.handle(forNewFileAt: path)
            buffers[name] = Data("row,category,column,value\r\n".utf8)
            files.append(path)
        }
        var lines = ""
        for (column, value) in record.values {
            lines += [record.rowKey, record.category.name, column, value ?? ""].map(Self.field).joined(separator: ",") + "\r\n"
        }
        buffers[name, default: Data()].append(contentsOf: lines.utf8)
        if let buffer = buffers[name], buffer.count >= 64 * 1024 {
            try handles[name]?.write(contentsOf: buffer)
            buffers[name] = Data()
        }
    }

    /// Flushes and closes every file.
    public func finish() throws {
        for (name, handle) in handles {
            if let buffer = buffers[name], !buffer.isEmpty { try handle.write(contentsOf: buffer) }
            try handle.close()
        }
        handles = [:]
        buffers = [:]
    }

    /// RFC 4180 quoting, and a cell a spreadsheet would run as a formula (one starting with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return) neutralised as OWASP's CSV injection
    /// advice says: prefixed with `'` and quoted. The copy's JSON keeps every value exactly.
    static func field(_ text: String) -> String {
        let formula = text.unicodeScalars.first.map { "=+-@\t\r".unicodeScalars.contains($0) } ?? false
        let cell = formula ? "'" + text : text
        guard formula || cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
