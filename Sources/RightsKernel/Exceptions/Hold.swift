public import Foundation

/// A legal hold: while it runs, requests about its subject are denied, or its data category is
/// withheld, citing its ground (clause 5.11).
public struct Hold: Codable, Sendable, Equatable {
    public var id: Int64?
    /// The subject held, by salted key; nil holds a category for every subject.
    public var subject: SubjectKey?
    /// The category withheld; nil holds every request about the subject.
    public var category: DataCategory?
    public var ground: DenialGround
    /// Who imposed it: a case number, a court order, a regulator's letter reference.
    public var authority: String
    /// When it lapses; nil until lifted.
    public var expiresAt: Date?
    public var createdAt: Date

    public init(
        id: Int64? = nil,
        subject: SubjectKey?,
        category: DataCategory?,
        ground: DenialGround,
        authority: String,
        expiresAt: Date?,
        createdAt: Date
    ) {
        self.id = id
        self.subject = subject
        self.category = category
        self.ground = ground
        self.authority = authority
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }

    /// How the hold appears in a response that leaves `category` out: its ground, and its
    /// expiry as the date the category may come back.
    public func withholding(_ category: DataCategory) -> WithheldCategory {
        WithheldCategory(category: category, ground: ground, until: expiresAt.map(Timestamp.string))
    }

    /// The category this hold withholds, as a response states it; nil for a hold on a subject.
    public var withheld: WithheldCategory? { category.map(withholding) }

    /// Whether the hold still runs at `time`.
    public func isActive(at time: Date) -> Bool {
        expiresAt.map { time < $0 } ?? true
    }
}
