public import Foundation

/// The response to anything that erases (erasure, account cancellation, discontinuation):
/// what was erased, and what was restricted instead, why and until when (clause 5.3). The
/// person is told the law's date in the deployment's `timeZone`, never a UTC instant.
extension RightOutcome {
    public static func erasure(_ report: ErasureReport, reason: String, holds: [Hold], in timeZone: TimeZone) -> RightOutcome {
        var withheld = report.restricted.map { restricted in
            WithheldCategory(
                category: restricted.category, ground: .retained(restricted.basis), until: restricted.until.map(Timestamp.string))
        }
        withheld += holds.compactMap(\.withheld)
        let deleted = report.deletedRows.values.reduce(0, +)
        var message = "\(reason): \(report.erased.count) field(s) erased, \(deleted) row(s) deleted."
        if !report.restricted.isEmpty {
            message +=
                " We keep some data because the law requires it or deletion is infeasible; it is no longer processed except for storage and security:"
            for restricted in report.restricted {
                message +=
                    " \(restricted.table).\(restricted.column) (\(restricted.basis), "
                    + (restricted.until.map { "until \(Timestamp.day($0, in: timeZone))" } ?? "indefinitely") + ");"
            }
        }
        if report.isEmpty { message = "We hold no personal information about you to erase." }
        return .done(
            message, withheld: withheld,
            references: [
                "fields_erased": "\(report.erased.count)", "rows_deleted": "\(deleted)",
                "rows_restricted": "\(report.restricted.reduce(0) { $0 + $1.rows })",
            ])
    }
}

extension DenialGround {
    /// Data kept under a legal retention period or because deletion is technically infeasible.
    public static func retained(_ basis: String) -> DenialGround {
        DenialGround(code: "retained", explanation: "Retained under \(basis); processing is restricted to storage and security")
    }
}
