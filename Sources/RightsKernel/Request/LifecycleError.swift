/// A transition the request lifecycle does not allow.
public struct LifecycleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let request: RequestID
    public let from: RequestState
    public let to: RequestState

    public init(request: RequestID, from: RequestState, to: RequestState) {
        self.request = request
        self.from = from
        self.to = to
    }

    public var description: String {
        "request \(request) cannot move from \(from.rawValue) to \(to.rawValue)"
    }
}
