import Foundation

/// The files a module writes a subject's data into (a JSON document, CSV files, a ZIP of them),
/// given by the composition root in ``Services/exports``, so the kernel keeps the contract and
/// the formats live in a target of their own (`RightsExport`).
public protocol ExportFormats: Sendable {
    /// A JSON document at `path`, written as records arrive.
    func json(at path: String) throws -> any ExportFile
    /// One CSV file per category in `folder`.
    func csv(in folder: String) throws -> any ExportFile
    /// A ZIP archive at `path` of `files` (absolute paths), each under its file name.
    func archive(_ files: [String], to path: String) throws
}

/// An export being written: records go in, ``finish()`` closes it; ``files`` are what it wrote.
public protocol ExportFile: ExportSink {
    func finish() throws
    /// The files written, as absolute paths, once finished.
    var files: [String] { get }
}

/// The formats of a composition that gave none: every export is refused, naming why.
public struct NoExportFormats: ExportFormats {
    public init() {}

    public func json(at path: String) throws -> any ExportFile { throw ExportFormatsMissing() }
    public func csv(in folder: String) throws -> any ExportFile { throw ExportFormatsMissing() }
    public func archive(_ files: [String], to path: String) throws { throw ExportFormatsMissing() }
}

/// The composition root gave no export formats.
public struct ExportFormatsMissing: Error, CustomStringConvertible {
    public var description: String { "this deployment was composed without export formats" }
}

/// Sends every record to several sinks (a JSON document and CSV files from one pass).
public final class TeeExportSink: ExportSink {
    private let sinks: [any ExportSink]
    public init(_ sinks: [any ExportSink]) { self.sinks = sinks }
    public func write(_ record: ExportRecord) throws {
        for sink in sinks { try sink.write(record) }
    }
}
