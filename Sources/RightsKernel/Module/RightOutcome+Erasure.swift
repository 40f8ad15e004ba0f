import Foundation

/// The response to anything that erases (erasure, account cancellation, discontinuation):
/// what was erased, and what was restricted instead, why and until when (clause 5.3). The
/// person is told the law's date in the deployment's `timeZone`, never a UTC instant.
extension RightOutcome {
    /// `reason` is already in the subject's language (the right's own sentence).
    public static func erasure(
        _ report: ErasureReport, reason: String, holds: [Hold], telling request: RightRequest, in context: HandlingContext
    )
        -> RightOutcome
    {
        var withheld = report.restricted.map { restricted in
            WithheldCategory(
                category: restricted.category, ground: .retained(restricted.basis), until: restricted.until.map(Timestamp.string))
        }
        withheld += holds.compactMap(\.withheld)
        let deleted = report.deletedRows.values.reduce(0, +)
        var message = context.said(
            to: request, "outcome.erasure.summary", ["reason": reason, "fields": "\(report.erased.count)", "rows": "\(deleted)"])
        if !report.restricted.isEmpty {
            message += context.said(to: request, "outcome.erasure.kept")
            for restricted in report.restricted {
                let until = restricted.until.map {
                    context.said(to: request, "outcome.erasure.until", ["day": context.day($0, for: request)])
                }
                message += context.said(
                    to: request, "outcome.erasure.restricted",
                    [
                        "field": "\(restricted.table).\(restricted.column)", "basis": restricted.basis,
                        "until": until ?? context.said(to: request, "outcome.erasure.indefinitely"),
                    ])
            }
        }
        if report.isEmpty { message = context.said(to: request, "outcome.erasure.nothing") }
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
        DenialGround(
            code: "retained", explanation: "Retained under \(basis); processing is restricted to storage and security", detail: basis)
    }
}
