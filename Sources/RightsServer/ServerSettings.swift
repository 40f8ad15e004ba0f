public import Foundation
public import RightsKernel

/// The `server:` section of a deployment file: where `rightskit serve` listens, what it
/// accepts, and the background work it runs. TLS is left to a reverse proxy in front.
///
/// Keys, each reported with its location when wrong:
/// - `host` (default `127.0.0.1`), `port` (default 8080; 0 picks a free port)
/// - `body_limit_bytes`: the largest request body accepted (default 65536; larger is 413)
/// - `shutdown_grace_seconds`: how long requests in flight may finish after SIGTERM (default 10)
/// - `rate_limits`: `filings_per_minute` and `code_attempts_per_minute` per client address
///   (defaults 30 and 30; answered 429 with `Retry-After`); an IPv6 client counts per /64
/// - `connections`: `max` (open connections at once; more wait in the listen backlog; default
///   2048), `idle_seconds` (a connection with nothing to read is closed; default 30) and
///   `request_seconds` (a request must arrive whole this soon after the connection is ready for
///   it, however slowly its bytes come; default 10)
/// - `metrics`: `token_env` (an environment variable holding a token `/metrics` then requires as
///   `Authorization: Bearer`; default none: open) and `refresh_seconds` (how stale the request
///   counts may be; the ledger is counted at most this often, default 15)
/// - `trusted_proxies`: the addresses and CIDR blocks of the reverse proxies in front (default
///   none): only from them are `Forwarded` and `X-Forwarded-For` read to find the client
/// - `background`: `sweep_seconds` (resume due requests, cancel lapsed quotes, erase lifted
///   restrictions, close unconfirmed filings; default 60), `deliver_seconds` (default 5),
///   `checkpoint_minutes` (sign the audit head when `services.audit.signing_key` is set, so a
///   cut after the last checkpoint has minutes to hide in, not a day; default 10; the older
///   `checkpoint_hours` is still read), `reminder_seconds` (default 300), `drift_seconds` (compare
///   the data map with the live schema, as `rightskit datamap drift` does, and count the findings
///   in `/metrics`; default 3600); 0 turns a service off
/// - `delivery`: `driver` (`outbox`: messages wait in the outbox for another deliverer, the
///   default; `mail_drop`: files in `services.notifier.mail_drop`; `webhook`), and for the webhook
///   `webhook.url` (https), `webhook.attempts` (default 3), `webhook.backoff_ms` (default 500,
///   doubled each retry), `webhook.timeout_seconds` (default 10), `webhook.allow_loopback_http`,
///   `webhook.secret_env` (required: the environment variable holding the Standard Webhooks
///   secret each message is signed with, `whsec_…`)
/// - `reminders`: `days_before` (operators are told this many days before a deadline; default 3)
///   and `to` (the operators' address as kind:value; default `operator:queue`, the outbox only)
public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var bodyLimit = 65_536
    public var shutdownGrace: TimeInterval = 10
    public var filingsPerMinute = 30
    public var codeAttemptsPerMinute = 30
    public var maxConnections = 2_048
    /// The token `/metrics` requires, when the deployment names one.
    var metricsToken: String?
    public var metricsRefresh: TimeInterval = 15
    public var idleTimeout: TimeInterval = 30
    public var requestReadTimeout: TimeInterval = 10
    /// The reverse proxies whose forwarding headers are believed.
    var trustedProxies: [AddressBlock] = []
    public var sweepInterval: TimeInterval = 60
    public var deliveryInterval: TimeInterval = 5
    public var checkpointInterval: TimeInterval = 600
    public var reminderInterval: TimeInterval = 300
    /// How often the data map is compared with the live schema (`background.drift_seconds`).
    public var driftInterval: TimeInterval = 3_600
    public var delivery: Delivery = .outbox
    public var reminderLead = 3
    public var operators = SubjectIdentity(kind: "operator", value: "queue")
    /// The open standards the deployment speaks (the file's `standards:` section).
    public var standards = StandardsSettings()
    /// The deployment file the settings came from, read again for changes to `standards:`.
    var deploymentFile: String?

    /// Where the server hands queued messages.
    public enum Delivery: Sendable, Equatable {
        case outbox
        case mailDrop
        case webhook(Webhook)
    }

    /// A webhook receiving each message as JSON.
    public struct Webhook: Sendable, Equatable {
        public var url: URL
        /// The secret messages are signed with (read from the environment variable the
        /// deployment names; never written anywhere).
        var secret: String
        public var attempts = 3
        public var backoff: TimeInterval = 0.5
        public var timeout: TimeInterval = 10
    }

    public init() {}

    /// Reads the `server:` and `standards:` sections of the deployment file at `path`; defaults
    /// when absent.
    public static func load(path: String) throws(ConfigError) -> ServerSettings {
        let root = try ConfigSection.load(path: path)
        root.markUsed(root.keys)
        var settings =
            try root.optionalSection("server").map { section throws(ConfigError) in try ServerSettings(section: section) }
            ?? ServerSettings()
        settings.deploymentFile = path
        if let standards = try root.optionalSection("standards") {
            settings.standards = try StandardsSettings(
                section: standards, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
        return settings
    }

    init(section: ConfigSection) throws(ConfigError) {
        host = try section.string("host", default: host)
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".:-".contains($0) }) else {
            throw section.invalid("host", "expected a host name or an IP address")
        }
        port = try section.int("port", default: port, in: 0...65_535)
        bodyLimit = try section.int("body_limit_bytes", default: bodyLimit, in: 1_024...16_777_216)
        shutdownGrace = TimeInterval(try section.int("shutdown_grace_seconds", default: 10, in: 1...600))
        if let limits = try section.optionalSection("rate_limits") {
            filingsPerMinute = try limits.int("filings_per_minute", default: filingsPerMinute, in: 1...1_000_000)
            codeAttemptsPerMinute = try limits.int("code_attempts_per_minute", default: codeAttemptsPerMinute, in: 1...1_000_000)
            try limits.rejectUnknownKeys()
        }
        if let metrics = try section.optionalSection("metrics") {
            if let variable = try metrics.optionalString("token_env") {
                guard let token = ProcessInfo.processInfo.environment[variable], token.count >= 16 else {
                    throw metrics.invalid(
                        "token_env", "the environment variable \(variable) is not set to a token of 16 characters or more")
                }
                metricsToken = token
            }
            metricsRefresh = TimeInterval(try metrics.int("refresh_seconds", default: 15, in: 0...3_600))
            try metrics.rejectUnknownKeys()
        }
        if let connections = try section.optionalSection("connections") {
            maxConnections = try connections.int("max", default: maxConnections, in: 16...1_000_000)
            idleTimeout = TimeInterval(try connections.int("idle_seconds", default: 30, in: 1...3_600))
            requestReadTimeout = TimeInterval(try connections.int("request_seconds", default: 10, in: 1...600))
            try connections.rejectUnknownKeys()
        }
        for entry in try section.strings("trusted_proxies") {
            guard let block = AddressBlock(entry) else {
                throw section.invalid("trusted_proxies", "expected IP addresses or CIDR blocks such as 10.0.0.0/8 or 2001:db8::/32")
            }
            trustedProxies.append(block)
        }
        if let background = try section.optionalSection("background") {
            sweepInterval = TimeInterval(try background.int("sweep_seconds", default: 60, in: 0...86_400))
            deliveryInterval = TimeInterval(try background.int("deliver_seconds", default: 5, in: 0...86_400))
            checkpointInterval = TimeInterval(try background.int("checkpoint_minutes", default: 10, in: 0...525_600)) * 60
            if background.keys.contains("checkpoint_hours") {
                checkpointInterval = TimeInterval(try background.int("checkpoint_hours", default: 0, in: 0...8_760)) * 3_600
            }
            reminderInterval = TimeInterval(try background.int("reminder_seconds", default: 300, in: 0...86_400))
            driftInterval = TimeInterval(try background.int("drift_seconds", default: 3_600, in: 0...604_800))
            try background.rejectUnknownKeys()
        }
        if let delivery = try section.optionalSection("delivery") {
            switch try delivery.choice("driver", default: DeliveryDriver.outbox) {
            case .outbox: self.delivery = .outbox
            case .mailDrop: self.delivery = .mailDrop
            case .webhook: self.delivery = .webhook(try Self.webhook(delivery.section("webhook")))
            }
            try delivery.rejectUnknownKeys(known: ["webhook"])
        }
        if let reminders = try section.optionalSection("reminders") {
            reminderLead = try reminders.int("days_before", default: reminderLead, in: 0...365)
            if let to = try reminders.optionalString("to") {
                guard let identity = SubjectIdentity(parsing: to) else {
                    throw reminders.invalid("to", "expected kind:value, such as email:privacy@example.com")
                }
                operators = identity
            }
            try reminders.rejectUnknownKeys()
        }
        try section.rejectUnknownKeys()
    }

    private enum DeliveryDriver: String, CaseIterable {
        case outbox
        case mailDrop = "mail_drop"
        case webhook
    }

    private static func webhook(_ section: ConfigSection) throws(ConfigError) -> Webhook {
        let text = try section.string("url")
        let loopback = try section.bool("allow_loopback_http", default: false)
        guard let url = URL(string: text), let host = url.host, !host.isEmpty,
            url.scheme == "https" || (loopback && url.scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host))
        else {
            throw section.invalid("url", "expected an https URL (plain http only to loopback with allow_loopback_http: true)")
        }
        let variable = try section.string("secret_env")
        guard let secret = ProcessInfo.processInfo.environment[variable], !secret.isEmpty else {
            throw section.invalid(
                "secret_env", "the environment variable \(variable) is not set; every message is signed with the secret it holds")
        }
        do {
            _ = try WebhookSigner(secret: secret)
        } catch {
            throw section.invalid("secret_env", "the secret in \(variable): \(error)")
        }
        var webhook = Webhook(url: url, secret: secret)
        webhook.attempts = try section.int("attempts", default: 3, in: 1...20)
        webhook.backoff = TimeInterval(try section.int("backoff_ms", default: 500, in: 0...60_000)) / 1_000
        webhook.timeout = TimeInterval(try section.int("timeout_seconds", default: 10, in: 1...300))
        try section.rejectUnknownKeys()
        return webhook
    }
}
