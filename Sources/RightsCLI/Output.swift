import Foundation
import RightsKernel

/// Writes results to standard output, as text or as JSON.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func json<Value: Encodable>(_ value: Value) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        FileHandle.standardOutput.write(try encoder.encode(value))
        line("")
    }

    /// A request as an operator reads it; identities never print.
    static func describe(_ request: RightRequest) -> String {
        var lines = [
            "request \(request.id)",
            "  right:     \(request.right)",
            "  state:     \(request.state.rawValue)",
            "  requester: \(request.requester.rawValue)",
            "  received:  \(Timestamp.string(request.receivedAt))",
            "  due:       \(Timestamp.string(request.dueAt))" + (request.extensionReason.map { " (extended: \($0))" } ?? ""),
        ]
        if let level = request.verification { lines.append("  verified:  \(level.rawValue)") }
        if let fee = request.feeQuote {
            lines.append("  fee:       \(fee.amount) \(fee.currency)" + (request.feeAccepted ? " (settled)" : ""))
        }
        if let failure = request.lastFailure {
            lines.append("  failed:    \(request.failures) time(s), last at \(failure.step ?? "the module"): \(failure.message)")
        }
        if let outcome = request.outcome {
            lines.append("  outcome:   \(outcome.status.rawValue): \(outcome.message)")
            if let ground = outcome.ground { lines.append("  ground:    \(ground.code): \(ground.explanation)") }
            for withheld in outcome.withheld {
                lines.append(
                    "  withheld:  \(withheld.category.name): \(withheld.ground.code)" + (withheld.until.map { " until \($0)" } ?? ""))
            }
            for (key, value) in outcome.references.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(key): \(value)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func show(_ request: RightRequest, json: Bool) throws {
        if json { try Output.json(request) } else { line(describe(request)) }
    }
}
