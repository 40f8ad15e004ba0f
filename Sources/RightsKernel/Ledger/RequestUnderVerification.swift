/// A request as checking a response to its challenge needs it: with its outstanding code and the
/// active holds on its subject, read together, so neither the check nor the move into work that
/// follows reads the ledger again.
public struct RequestUnderVerification: Sendable {
    public var request: RightRequest
    /// The request's outstanding code as stored; nil when none is.
    public var code: StoredCode?
    /// The holds on the request's subject (or on every subject) active when it was read.
    public var holds: [Hold]

    public init(request: RightRequest, code: StoredCode?, holds: [Hold]) {
        self.request = request
        self.code = code
        self.holds = holds
    }
}
