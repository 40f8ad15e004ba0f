import Foundation
public import RightsKernel

/// Streams an export to a file as JSON, grouped by category then table, flushing as it goes so
/// memory stays flat whatever the subject holds.
///
/// ```json
/// {"categories":[{"category":"user.contact.email","tables":[
///   {"source":"business","table":"accounts","rows":[{"_row":"42","email":"li.wei@example.cn"}]}]}]}
/// ```
public final class JSONExportWriter: ExportFile {
    private let handle: FileHandle
    private var buffer = Data()
    private var category: DataCategory?
    private var table: String?
    private var firstRow = true
    public private(set) var records = 0

    /// The document's path.
    public let path: String
    public var files: [String] { [path] }

    /// Creates (or truncates) the file at `path`.
    public init(path: String) throws {
        self.path = path
        handle = try PrivateFiles.handle(forNewFileAt: path)
        append("{\"categories\":[")
    }

    public func write(_ record: ExportRecord) throws {
        if record.category != category {
            if category != nil { append("]}]},") }
            append("{\"category\":\(Self.quote(record.category.name)),\"tables\":[")
            category = record.category
            table = nil
        }
        let tableName = "\(record.source).\(record.table)"
        if tableName != table {
            if table != nil { append("]},") }
            append("{\"source\":\(Self.quote(record.source)),\"table\":\(Self.quote(record.table)),\"rows\":[")
            table = tableName
            firstRow = true
        }
        var row = firstRow ? "{" : ",{"
        row += "\"_row\":\(Self.quote(record.rowKey))"
        for (column, value) in record.values {
            row += ",\(Self.quote(column)):\(value.map(Self.quote) ?? "null")"
        }
        append(row + "}")
        firstRow = false
        records += 1
        if buffer.count >= 64 * 1024 { try flush() }
    }

    /// Closes the document and the file.
    public func finish() throws {
        if category != nil { append("]}]}") }
        append("]}\n")
        try flush()
        try handle.close()
    }

    private func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// A JSON string literal.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let control where control.value < 0x20: result += String(format: "\\u%04x", control.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
