import Foundation

/// An exclusive advisory lock on a file (`flock`), held across processes until released:
/// first use of a deployment (creating and migrating its files) runs under it.
struct ExclusiveFileLock {
    private let descriptor: Int32

    /// Blocks until the lock is held; creates the lock file (0600) when missing.
    init(path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(descriptor)
                throw CocoaError(.fileLocking, userInfo: [NSFilePathErrorKey: path])
            }
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
