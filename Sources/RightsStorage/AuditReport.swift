import Crypto
import Foundation
public import RightsKernel

/// What verifying a deployment's audit log found: the chain's verdict, how many signed
/// checkpoints (stored and published) were checked, and how many entries a rehearsal wrote.
public struct AuditReport: Sendable, Encodable {
    public var intact: Bool
    public var result: String
    public var checkpoints: Int
    /// Entries written under a simulated clock.
    public var simulated: Int
}

/// Why the audit log could not be verified or signed as configured.
public struct AuditConfigurationError: Error, CustomStringConvertible {
    public let description: String
}

extension OperationsStore {
    /// Verifies the chain with the deployment's public key and its published checkpoints, the
    /// public key alone: verifying never reads or creates the private key.
    public func auditReport(settings: DeploymentSettings) async throws -> AuditReport {
        let published = try settings.publishedCheckpoints.map { try PublishedCheckpoints(folder: $0).read() } ?? []
        let result: AuditVerification
        var checked = 0
        if let path = settings.auditPublicKey, let publicKey = try AuditSigningKey.publicKey(path: path) {
            result = try await verify(publicKey: publicKey, published: published)
            checked = try await checkpoints().count + published.count
        } else if let path = settings.auditPublicKey, try await !checkpoints().isEmpty || !published.isEmpty {
            throw AuditConfigurationError(
                description:
                    "no public key at \(path) to check the signed checkpoints: copy the deployment's public key there (`rightskit audit checkpoint` writes it beside the signing key)"
            )
        } else {
            result = try await verify()
        }
        return AuditReport(
            intact: result.isIntact, result: result.description, checkpoints: checked, simulated: try await simulatedEntries())
    }

    /// Signs the chain's head with the deployment's key and publishes the checkpoint beside it;
    /// nil when the log is empty. Throws when no signing key is configured.
    public func signCheckpoint(settings: DeploymentSettings) async throws -> AuditCheckpoint? {
        guard let path = settings.auditSigningKey else {
            throw AuditConfigurationError(description: "no signing key: set services.audit.signing_key")
        }
        let key = try AuditSigningKey.loadOrCreate(path: path, publicKeyPath: settings.auditPublicKey ?? path + ".pub")
        // The newest checkpoint published outside the database must still be in it: otherwise
        // the stored checkpoints were deleted, and a new one would hide it.
        if let folder = settings.publishedCheckpoints, let newest = try PublishedCheckpoints(folder: folder).read().last,
            try await !checkpoints().contains(where: { $0.signature == newest.signature })
        {
            throw AuditCheckpointRefused(found: .checkpointMissing(sequence: newest.sequence))
        }
        // A request with no entries is a cut no chain check sees: never sealed either.
        if let request = try await unauditedRequest() { throw AuditCheckpointRefused(found: .requestUnaudited(request)) }
        guard let checkpoint = try await checkpoint(signingKey: key) else { return nil }
        if let folder = settings.publishedCheckpoints { try PublishedCheckpoints(folder: folder).append(checkpoint) }
        return checkpoint
    }
}
