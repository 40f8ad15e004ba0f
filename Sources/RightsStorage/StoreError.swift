public import RightsKernel

/// A store operation that found the database in an unexpected state.
public enum StoreError: Error, CustomStringConvertible {
    case missingRequest(RequestID)
    /// A deployment loaded without its store being opened.
    case notOpened(String)
    /// An insert that returns its new row returned none.
    case nothingReturned(String)

    public var description: String {
        switch self {
        case .missingRequest(let id): "request \(id) is not in the ledger"
        case .notOpened(let path): "the store of \(path) was not opened"
        case .nothingReturned(let table): "an insert into \(table) returned no row"
        }
    }
}
