import Crypto
public import Foundation
public import RightsKernel

/// The `standards:` section of a deployment file: the open standards this deployment speaks,
/// and who may file through them.
///
/// ```yaml
/// standards:
///   public_url: https://privacy.example.com      # where people and agents reach this service
///   drp:
///     business_id: EXAMPLE_CLOUD                 # this business in the DRP directory
///     prefix: /drp                               # default
///     actions:                                   # DRP action → right (defaults shown)
///       access: { right: access }
///       deletion: { right: erasure, parameters: { ground: other-law } }
///       sale:opt-out: { right: sale-opt-out }
///     agents:
///       CONSUMER_REPORTS:
///         verify_key: <base64 Ed25519 public key>   # or verify_key_file
///         callbacks: [https://agent.example.com/]   # status_callback and redirect_to must start with one
///         callback_secret_env: AGENT_CALLBACK_SECRET  # signs each callback (Standard Webhooks, whsec_…)
/// ```
///
/// Every key is checked at load with its location; keys are never logged or echoed.
public struct StandardsSettings: Sendable, Equatable {
    /// The address people and clients reach this service at, for links a standard hands out
    /// (DRP's `user_verification_url`).
    public var publicURL: URL?
    public var dataRightsProtocol: DataRightsProtocolSettings?
    public var openDSR: OpenDSRSettings?

    public init() {}

    init(section: ConfigSection, baseDirectory: String) throws(ConfigError) {
        if let text = try section.optionalString("public_url") {
            guard let url = URL(string: text), url.scheme == "https" || Self.isLoopbackHTTP(url), url.host != nil, url.query == nil
            else {
                throw section.invalid(
                    "public_url", "expected the https address this service is reached at, such as https://privacy.example.com")
            }
            publicURL = url
        }
        if let drp = try section.optionalSection("drp") {
            guard publicURL != nil else {
                throw section.invalid("public_url", "the Data Rights Protocol hands agents links to this service; give its public_url")
            }
            dataRightsProtocol = try DataRightsProtocolSettings(section: drp, baseDirectory: baseDirectory)
        }
        if let opendsr = try section.optionalSection("opendsr") {
            guard publicURL != nil else {
                throw section.invalid("public_url", "OpenDSR's discovery publishes the certificate's address; give the public_url")
            }
            openDSR = try OpenDSRSettings(section: opendsr, baseDirectory: baseDirectory)
        }
        try section.rejectUnknownKeys()
    }

    /// The mistakes only the deployment's rights reveal: an action or request type the file maps
    /// to a right the deployment does not enable (the defaults are simply not offered then).
    public func problems(enabledRights: Set<String>) -> [ConfigError] {
        var located: [(ConfigLocation, String)] = []
        for (action, location) in dataRightsProtocol?.mappedAt ?? [:] {
            if let right = dataRightsProtocol?.actions[action]?.right { located.append((location, right)) }
        }
        for (type, location) in openDSR?.mappedAt ?? [:] {
            if let right = openDSR?.requestTypes[type]?.right { located.append((location, right)) }
        }
        let enabled = enabledRights.sorted().joined(separator: ", ")
        return located.filter { !enabledRights.contains($0.1) }.sorted { $0.0.line < $1.0.line }.map { location, right in
            location.error("names the right '\(right)', which this deployment does not enable; enabled: \(enabled)")
        }
    }

    /// The address prefixes a client's `callbacks` declares, where its callbacks (and, for an
    /// agent, the person's way back) may point.
    static func callbackPrefixes(_ entry: ConfigSection) throws(ConfigError) -> [URL] {
        var prefixes: [URL] = []
        for text in try entry.strings("callbacks") {
            guard let url = URL(string: text), url.scheme == "https" || isLoopbackHTTP(url), url.host != nil else {
                throw entry.invalid("callbacks", "expected https address prefixes such as https://client.example.com/")
            }
            prefixes.append(url)
        }
        return prefixes
    }

    /// The address prefixes the client that filed through `channel` declares now; none for a
    /// client the deployment no longer declares.
    func callbacks(of channel: RequestChannel) -> [URL] {
        switch channel.standard {
        case .dataRightsProtocol: dataRightsProtocol?.agents[channel.client]?.callbacks ?? []
        case .openDSR: openDSR?.controllers[channel.client]?.callbacks ?? []
        default: []
        }
    }

    /// Plain http is accepted for loopback only, where tests and a local proxy run.
    static func isLoopbackHTTP(_ url: URL) -> Bool {
        url.scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host ?? "")
    }

    /// Whether `url` is an address a client's allow-list admits: https (or loopback http) and
    /// starting with one of `allowed`.
    static func admits(_ url: URL, allowed: [URL]) -> Bool {
        guard url.scheme == "https" || isLoopbackHTTP(url), url.host != nil, url.user == nil, url.password == nil else { return false }
        let text = url.absoluteString
        return allowed.contains { text.hasPrefix($0.absoluteString) }
    }
}

/// DRP's part of `standards:`.
public struct DataRightsProtocolSettings: Sendable, Equatable {
    /// This business's id in the DRP directory, which every signed request must name.
    public var businessID: String
    /// Where the DRP endpoints are mounted (`/drp/v1/…`).
    public var prefix = "/drp"
    /// The agents this deployment pairs with.
    public var agents: [String: Agent]
    /// What each DRP action files; an action not listed, or whose right is not enabled, is
    /// refused `claim_not_covered`.
    public var actions: [String: MappedRight]
    /// Where the deployment mapped each action itself, to point at a right it does not enable.
    var mappedAt: [String: ConfigLocation] = [:]

    /// An authorised agent as the deployment declares it.
    public struct Agent: Sendable, Equatable {
        /// The Ed25519 key its envelopes are signed with (from the DRP directory).
        var verifyKey: Data
        /// The address prefixes its `status_callback` and `redirect_to` may use.
        public var callbacks: [URL]
        /// The Standard Webhooks secret each callback to it is signed with (DRP itself signs no
        /// callback; RightsKit signs every outbound call), read from the environment.
        var callbackSecret: String?

        var publicKey: Curve25519.Signing.PublicKey? { try? Curve25519.Signing.PublicKey(rawRepresentation: verifyKey) }
    }

    /// The actions RightsKit maps unless the deployment says otherwise. DRP 1.0 writes the
    /// opt-out `sale:opt-out` in its list of actions and `sale:opt_out` in its directory schema;
    /// both are read as the same action.
    static let defaultActions: [String: MappedRight] = [
        "access": MappedRight(right: "access", parameters: [:]),
        "deletion": MappedRight(right: "erasure", parameters: ["ground": "other-law"]),
        "sale:opt-out": MappedRight(right: "sale-opt-out", parameters: [:]),
    ]

    /// The action as RightsKit names it (`sale:opt_out` read as `sale:opt-out`).
    static func canonical(_ action: String) -> String { action.replacingOccurrences(of: "_", with: "-") }

    init(section: ConfigSection, baseDirectory: String) throws(ConfigError) {
        businessID = try section.string("business_id")
        guard !businessID.isEmpty, businessID.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }) else {
            throw section.invalid("business_id", "expected the business's DRP directory id, upper-case letters and _ such as EXAMPLE_CLOUD")
        }
        prefix = try section.string("prefix", default: prefix)
        guard prefix.hasPrefix("/"), !prefix.hasSuffix("/"), prefix.count > 1,
            prefix.dropFirst().split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ part in
                !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
            }),
            !["/v1", "/console", "/rights", "/requests", "/assets", "/opendsr"].contains(prefix)
        else {
            throw section.invalid("prefix", "expected a path of its own such as /drp, not one RightsKit's other pages use")
        }
        actions = Self.defaultActions
        if let mapped = try section.optionalSection("actions") {
            for (action, entry) in try mapped.sections() {
                let known = ["access", "deletion", "sale:opt-out", "sale:opt-in", "access:categories", "access:specific"]
                guard known.contains(Self.canonical(action)) else {
                    throw mapped.invalidKey(action, "not a DRP action; expected one of \(known.joined(separator: ", "))")
                }
                actions[Self.canonical(action)] = try MappedRight(entry)
                mappedAt[Self.canonical(action)] = entry.location(of: "right")
            }
        }
        agents = [:]
        for (id, entry) in try section.section("agents").sections() {
            guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }) else {
                throw section.invalidKey(id, "expected the agent's DRP directory id, upper-case letters and _")
            }
            let keyText: String
            if let file = try entry.optionalString("verify_key_file") {
                let path = DataMap.resolve(file, against: baseDirectory)
                guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    throw entry.invalid("verify_key_file", "cannot read \(path)")
                }
                keyText = text.trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                keyText = try entry.string("verify_key")
            }
            // The key is named, never repeated, in an error.
            guard let key = Data(base64Encoded: keyText), key.count == 32,
                (try? Curve25519.Signing.PublicKey(rawRepresentation: key)) != nil
            else {
                throw entry.invalid(
                    entry.contains("verify_key_file") ? "verify_key_file" : "verify_key",
                    "expected the agent's Ed25519 verify key as Base64 (32 bytes), as the DRP directory publishes it")
            }
            let callbacks = try StandardsSettings.callbackPrefixes(entry)
            var secret: String?
            if let variable = try entry.optionalString("callback_secret_env") {
                guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                    throw entry.invalid("callback_secret_env", "the environment variable \(variable) is not set")
                }
                do {
                    _ = try WebhookSigner(secret: value)
                } catch {
                    throw entry.invalid("callback_secret_env", "the secret in \(variable): \(error)")
                }
                secret = value
            }
            guard callbacks.isEmpty || secret != nil else {
                throw entry.invalid("callbacks", "every callback is signed: name the secret with callback_secret_env")
            }
            agents[id] = Agent(verifyKey: key, callbacks: callbacks, callbackSecret: secret)
            try entry.rejectUnknownKeys()
        }
        try section.rejectUnknownKeys()
    }
}
