public import Logging

/// What a module sees while it handles one request: the services, the category holds that
/// narrow the request, and a journal that makes each step run exactly once.
public struct HandlingContext: Sendable {
    public let services: Services
    /// Holds on data categories that apply to this subject; the module leaves those categories
    /// out and cites each hold's ground in its outcome.
    public let categoryHolds: [Hold]
    /// A logger carrying the request id as metadata.
    public let logger: Logger
    /// The level to which the requester's identity was verified.
    public let verification: VerificationLevel
    let requestID: RequestID

    public init(requestID: RequestID, services: Services, categoryHolds: [Hold], verification: VerificationLevel = .code, logger: Logger) {
        self.requestID = requestID
        self.services = services
        self.categoryHolds = categoryHolds
        self.verification = verification
        self.logger = logger
    }

    /// Runs `body` once for this request; if the step already completed (the process was
    /// interrupted after it), returns the journalled result without running it again.
    public func step<Result: Codable & Sendable>(
        _ name: String,
        _ body: () async throws -> Result
    ) async throws -> Result {
        if let recorded = try await services.ledger.journalledResult(of: name, request: requestID) {
            return try CanonicalJSON.decode(Result.self, from: recorded)
        }
        let result = try await body()
        try await services.ledger.journal(step: name, request: requestID, result: CanonicalJSON.encode(result))
        return result
    }

    /// The categories under a hold, to leave out of what the module reads or changes.
    public var heldCategories: [DataCategory] { categoryHolds.compactMap(\.category) }

    /// Everything of the subject except the held categories.
    public var scopeOutsideHolds: DataScope { DataScope(excluding: heldCategories) }

    /// The held categories as the response states them, each with its ground.
    public var withheldByHolds: [WithheldCategory] { categoryHolds.compactMap(\.withheld) }

    /// The hold that withholds `category` (or a parent category of it), if any.
    public func hold(covering category: DataCategory) -> Hold? {
        categoryHolds.first { hold in hold.category.map { category.isWithin($0) } ?? false }
    }
}
