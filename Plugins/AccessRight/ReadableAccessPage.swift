import Foundation
import RightsKernel

/// The human-readable rendering of an access export: one HTML page, a section per heading
/// (account information, transaction information, …), a table per category and table, written
/// as records stream in.
final class ReadableAccessPage: ExportSink {
    private let handle: FileHandle
    private let headings: [(prefix: DataCategory, heading: String)]
    private var heading: String?
    private var group: String?
    private var buffer = ""

    init(path: String, headings: [(prefix: DataCategory, heading: String)], withheld: [WithheldCategory]) throws {
        handle = try PrivateFiles.handle(forNewFileAt: path)
        self.headings = headings
        buffer =
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your personal information</title>"
            + "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}</style>"
            + "</head><body><h1>Your personal information</h1>"
        if !withheld.isEmpty {
            buffer += "<p>Not included:</p><ul>"
            for item in withheld {
                buffer +=
                    "<li>\(Self.escape(item.category.name)): \(Self.escape(item.ground.explanation))"
                    + (item.until.map { " (until \(Self.escape($0)))" } ?? "") + "</li>"
            }
            buffer += "</ul>"
        }
    }

    func write(_ record: ExportRecord) throws {
        let title = headings.first { record.category.isWithin($0.prefix) }?.heading ?? "Other information"
        if title != heading {
            if group != nil { buffer += "</table>" }
            buffer += "<h2>\(Self.escape(title))</h2>"
            heading = title
            group = nil
        }
        let key = "\(record.category.name) \(record.table)"
        if key != group {
            if group != nil { buffer += "</table>" }
            buffer += "<h3>\(Self.escape(record.category.name)) <small>(\(Self.escape(record.table)))</small></h3><table><tr>"
            buffer += record.values.map { "<th>\(Self.escape($0.column))</th>" }.joined() + "</tr>"
            group = key
        }
        buffer += "<tr>" + record.values.map { "<td>\(Self.escape($0.value ?? "—"))</td>" }.joined() + "</tr>"
        if buffer.utf8.count >= 64 * 1024 { try flush() }
    }

    func finish() throws {
        if group != nil { buffer += "</table>" }
        if heading == nil { buffer += "<p>We hold no personal information about you.</p>" }
        buffer += "</body></html>\n"
        try flush()
        try handle.close()
    }

    private func flush() throws {
        try handle.write(contentsOf: Data(buffer.utf8))
        buffer = ""
    }

    /// HTML-escapes in one pass (the page is written value by value).
    static func escape(_ text: String) -> String {
        guard
            text.utf8.contains(where: {
                $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"")
            })
        else {
            return text
        }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
