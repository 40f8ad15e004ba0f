// The storage core's contract (`OperationsStore`, `LedgerStore` and their types) comes with
// the SQLite driver, so code that opens a SQLite ledger needs one import.
@_exported public import RightsStorage
