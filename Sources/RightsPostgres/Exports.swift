// The storage core's contract (`OperationsStore`, `LedgerStore` and their types) comes with
// the PostgreSQL driver, so code that opens a PostgreSQL ledger needs one import.
@_exported public import RightsStorage
