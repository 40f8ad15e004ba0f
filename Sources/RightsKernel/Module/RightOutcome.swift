public import Foundation

/// The result of handling a request, recorded in the ledger and sent to the requester.
///
/// It holds references and counts, never raw personal data: once the request is final the
/// ledger keeps only what proves the response.
public struct RightOutcome: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case completed, partiallyCompleted, denied
        /// Not finished: the module has work due later (erasure after a discontinuation date);
        /// the request stays in progress until `resumeAt`, when `rightskit resume` continues it.
        case waiting
    }

    public var status: Status
    /// A sentence for the requester ("3 categories exported").
    public var message: String
    /// The ground of a denial.
    public var ground: DenialGround?
    /// Categories left out of the response, each with the ground that withholds it.
    public var withheld: [WithheldCategory]
    /// References to what was produced (file names, counts, receipt ids), never data itself.
    public var references: [String: String]
    /// When a waiting module wants to be called again.
    public var resumeAt: Date?

    public init(
        status: Status,
        message: String,
        ground: DenialGround? = nil,
        withheld: [WithheldCategory] = [],
        references: [String: String] = [:],
        resumeAt: Date? = nil
    ) {
        self.resumeAt = resumeAt
        self.status = status
        self.message = message
        self.ground = ground
        self.withheld = withheld
        self.references = references
    }

    /// A completed outcome, or partially completed when something was withheld.
    public static func done(_ message: String, withheld: [WithheldCategory] = [], references: [String: String] = [:]) -> RightOutcome {
        RightOutcome(
            status: withheld.isEmpty ? .completed : .partiallyCompleted, message: message, withheld: withheld, references: references)
    }

    /// Work remains for later: call the module again at `time`.
    public static func waiting(until time: Date, _ message: String, references: [String: String] = [:]) -> RightOutcome {
        RightOutcome(status: .waiting, message: message, references: references, resumeAt: time)
    }

    /// A denial that cites its ground.
    public static func denied(_ ground: DenialGround, message: String) -> RightOutcome {
        RightOutcome(status: .denied, message: message, ground: ground)
    }
}

/// A data category left out of a response, and why.
public struct WithheldCategory: Codable, Sendable, Equatable {
    public var category: DataCategory
    public var ground: DenialGround
    /// Until when, if the reason lapses (a retention period, a hold's expiry).
    public var until: String?

    public init(category: DataCategory, ground: DenialGround, until: String? = nil) {
        self.category = category
        self.ground = ground
        self.until = until
    }
}
