public import Crypto
public import Foundation
public import Logging
public import RightsKernel

/// Everything a deployment keeps in its store, beyond the kernel's own protocols: operators'
/// tokens, the outbox as operators see it and its delivery, deadline notices, counts for
/// metrics, and the audit chain with its checkpoints. ``LedgerStore`` serves it over any storage
/// driver; the command line and `rightskit serve` run on whichever the deployment names.
public protocol OperationsStore: RequestLedger, AuditLog, ExceptionChecks, VerificationCodeStore, Notifier {
    /// The clock the store stamps its records with.
    var clock: any WallClock { get }
    /// Stores a new token under the hash of its secret; throws ``OperatorTokenError`` when the
    /// name already has a live one.
    func insertToken(name: String, role: OperatorRole, hash: String) async throws -> OperatorToken
    /// Every token, live and revoked, oldest first.
    func tokens() async throws -> [OperatorToken]
    /// Revokes the live token of `name`; false when there is none.
    func revokeToken(name: String) async throws -> Bool
    /// The live token whose secret hashes to `hash`, if any.
    func token(hash: String) async throws -> OperatorToken?
    /// The queued and delivered messages, oldest first, optionally of one request: those after
    /// message `after`, at most `limit` (nil: all).
    func outbox(request: RequestID?, after: Int64, limit: Int?) async throws -> [OutboxMessage]
    /// Delivers every pending message it can claim, going on past failures: a failed message
    /// keeps its claim for `lease`, so it is retried on a later pass rather than at once.
    func deliver(via delivery: any MessageDelivery, lease: TimeInterval, lane: OutboxLane) async throws -> OutboxDeliveryReport
    /// Queues `message` with `event`, unless that notice went before; true when this call sent it.
    func sendOnce(_ kind: DeadlineNotice, about request: RequestID, message: OutboundMessage, event: AuditEvent) async throws -> Bool
    /// Whether the notice `kind` went for `request`.
    func sent(_ kind: DeadlineNotice, about request: RequestID) async throws -> Bool
    /// How many requests are in each right and state.
    func requestCounts() async throws -> [(right: String, state: String, count: Int)]
    /// Open requests whose deadline passed by `time`.
    func overdueCount(at time: Date) async throws -> Int
    /// The regulator's figures over the requests received in `months`, computed in the database.
    func report(months: [RequestReport.Month], at now: Date) async throws -> RequestReport
    /// The whole audit chain, its head and its stored checkpoints, read at one moment.
    func auditChain() async throws -> AuditChainSnapshot
    /// Signs the current chain head and stores the checkpoint; nil when the log is empty.
    func checkpoint(signingKey: Curve25519.Signing.PrivateKey) async throws -> AuditCheckpoint?
    /// A request the ledger holds whose audit entries are all gone (a cut of the log's tail that
    /// checkpoints alone cannot see), if any.
    func unauditedRequest() async throws -> RequestID?
    /// How many entries were written under a simulated clock (a rehearsal).
    func simulatedEntries() async throws -> Int
    /// Whether the store answers.
    func isReachable() async -> Bool
}

/// The audit chain as read at one moment.
public struct AuditChainSnapshot: Sendable {
    public var entries: [AuditEntry]
    public var head: AuditChain.Head?
    public var checkpoints: [AuditCheckpoint]

    public init(entries: [AuditEntry], head: AuditChain.Head?, checkpoints: [AuditCheckpoint]) {
        self.entries = entries
        self.head = head
        self.checkpoints = checkpoints
    }
}

extension OperationsStore {
    public func verify() async throws -> AuditVerification {
        let chain = try await auditChain()
        return try await crossChecked(AuditChain.verify(chain.entries, head: chain.head))
    }

    /// An intact chain is checked against the ledger too: every request it holds must have
    /// entries, so a cut after the last checkpoint is caught while the requests it concerned remain.
    private func crossChecked(_ verdict: AuditVerification) async throws -> AuditVerification {
        guard verdict.isIntact, let request = try await unauditedRequest() else { return verdict }
        return .requestUnaudited(request)
    }

    /// Verifies the chain and every signed checkpoint, stored and `published`, against the
    /// deployment's public key.
    public func verify(publicKey: Curve25519.Signing.PublicKey, published: [AuditCheckpoint] = []) async throws -> AuditVerification {
        let chain = try await auditChain()
        return try await crossChecked(
            AuditChain.verify(chain.entries, head: chain.head, checkpoints: chain.checkpoints, published: published, publicKey: publicKey))
    }

    /// The stored checkpoints, oldest first.
    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await auditChain().checkpoints
    }

    /// Every queued and delivered message, oldest first.
    public func outbox() async throws -> [OutboxMessage] {
        try await outbox(request: nil)
    }

    /// Every queued and delivered message of `request` (nil: of all), oldest first.
    public func outbox(request: RequestID?) async throws -> [OutboxMessage] {
        try await outbox(request: request, after: 0, limit: nil)
    }

    /// Creates a token for `name` with `role` and returns it with its secret; the store keeps
    /// only the secret's hash. A name has at most one live token.
    public func createToken(name: String, role: OperatorRole) async throws -> (token: OperatorToken, secret: String) {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
            throw OperatorTokenError(description: "a token name is 1 to 64 letters, digits, '.', '_', '-' or '@'")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = "rk_" + Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64URLEncoded
        return (try await insertToken(name: name, role: role, hash: OperatorToken.hash(secret)), secret)
    }

    /// The live token whose secret is `secret`, if any.
    public func token(secret: String) async throws -> OperatorToken? {
        guard secret.count <= 200 else { return nil }
        return try await token(hash: OperatorToken.hash(secret))
    }

    /// Hands every undelivered message to `delivery` and minimises each once delivered; returns
    /// how many this call delivered, and throws the first failure after trying them all.
    public func deliverPending(via delivery: any MessageDelivery, lease: TimeInterval = 60) async throws -> Int {
        let report = try await deliver(via: delivery, lease: lease, lane: .people)
        if let failure = report.firstFailure { throw failure }
        return report.delivered
    }

    /// The kernel services backed by this store: ledger, audit, holds and outbox here, one-time
    /// codes on top of them, and `data` and the outbound client `http` as the composition root
    /// gives them.
    public func services(
        identity settings: OneTimeCodeVerifier.Settings,
        data: any PersonalDataService = NoPersonalData(),
        http: any OutboundHTTP = NoOutboundHTTP(),
        exports: any ExportFormats = NoExportFormats(),
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current,
        logger: Logger
    ) -> Services {
        Services(
            ledger: self,
            data: data,
            audit: self,
            exceptions: self,
            identity: OneTimeCodeVerifier(settings: settings, codes: self, clock: clock),
            notifier: self,
            clock: clock,
            http: http,
            exports: exports,
            timeZone: timeZone,
            logger: logger
        )
    }
}

extension OperatorToken {
    /// What the store keeps of a token's secret.
    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}

/// Which of the outbox's messages a deliverer takes: those to people (mail, texts, the
/// operators' queue) or the status callbacks to clients that filed through an open standard.
/// Each lane has its own deliverer, so a client's receiver that is down never holds up a
/// person's code, and the reverse.
public enum OutboxLane: Sendable {
    case people
    case callbacks
}

extension OperationsStore {
    /// Delivers the messages to people (every lane but status callbacks).
    public func deliver(via delivery: any MessageDelivery, lease: TimeInterval) async throws -> OutboxDeliveryReport {
        try await deliver(via: delivery, lease: lease, lane: .people)
    }
}
