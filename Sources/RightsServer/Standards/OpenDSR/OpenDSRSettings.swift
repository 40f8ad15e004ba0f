import Crypto
public import Foundation
import RightsKernel

/// OpenDSR's part of `standards:`: this service as a processor that controllers send their
/// subjects' requests to.
///
/// ```yaml
///   opendsr:
///     processor_domain: privacy.example.com        # the domain its signing certificate names
///     signing_key: keys/opendsr-key.pem            # ECDSA P-256 private key, PEM (FIPS 186-4)
///     certificate: keys/opendsr-cert.pem           # its X.509 certificate, published through discovery
///     request_types:                               # defaults shown
///       access: { right: access }
///       portability: { right: portability, parameters: { mode: copy } }
///       erasure: { right: erasure, parameters: { ground: other-law } }
///     controllers:
///       EXAMPLE_CONTROLLER: { callbacks: [https://controller.example.com/opendsr/] }
/// ```
///
/// A controller authenticates with a token made by `rightskit token create --role controller
/// --name EXAMPLE_CONTROLLER` (revoked at once with `token revoke`).
public struct OpenDSRSettings: Sendable, Equatable {
    public var processorDomain: String
    /// The signing key, as PEM (never logged).
    var signingKey: String
    /// The certificate published at discovery, as PEM.
    public var certificate: String
    public var requestTypes: [String: MappedRight]
    /// Where the deployment mapped each request type itself.
    var mappedAt: [String: ConfigLocation] = [:]
    public var controllers: [String: Controller]

    public struct Controller: Sendable, Equatable {
        /// The address prefixes its `status_callback_urls` may use.
        public var callbacks: [URL]
    }

    var key: P256.Signing.PrivateKey? { try? P256.Signing.PrivateKey(pemRepresentation: signingKey) }

    static let defaultTypes: [String: MappedRight] = [
        "access": MappedRight(right: "access", parameters: [:]),
        "portability": MappedRight(right: "portability", parameters: ["mode": "copy"]),
        "erasure": MappedRight(right: "erasure", parameters: ["ground": "other-law"]),
    ]

    init(section: ConfigSection, baseDirectory: String) throws(ConfigError) {
        processorDomain = try section.string("processor_domain")
        guard !processorDomain.isEmpty, processorDomain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
            throw section.invalid(
                "processor_domain", "expected the domain the signing certificate is issued to, such as privacy.example.com")
        }
        let keyPath = DataMap.resolve(try section.string("signing_key"), against: baseDirectory)
        guard let keyText = FileManager.default.contents(atPath: keyPath).flatMap({ String(data: $0, encoding: .utf8) }),
            (try? P256.Signing.PrivateKey(pemRepresentation: keyText)) != nil
        else {
            throw section.invalid("signing_key", "expected a readable ECDSA P-256 private key in PEM at \(keyPath)")
        }
        signingKey = keyText
        let certificatePath = DataMap.resolve(try section.string("certificate"), against: baseDirectory)
        guard let text = FileManager.default.contents(atPath: certificatePath).flatMap({ String(data: $0, encoding: .utf8) }),
            text.contains("-----BEGIN CERTIFICATE-----")
        else {
            throw section.invalid("certificate", "expected a readable X.509 certificate in PEM at \(certificatePath)")
        }
        certificate = text
        requestTypes = Self.defaultTypes
        if let mapped = try section.optionalSection("request_types") {
            for (type, entry) in try mapped.sections() {
                guard Self.defaultTypes.keys.contains(type) else {
                    throw mapped.invalidKey(type, "not an OpenDSR request type; expected access, portability or erasure")
                }
                requestTypes[type] = try MappedRight(entry)
                mappedAt[type] = entry.location(of: "right")
            }
        }
        controllers = [:]
        for (id, entry) in try section.section("controllers").sections() {
            guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
                throw section.invalidKey(id, "expected a controller id of letters, digits, '.', '_', '-' or '@' (the name of its token)")
            }
            controllers[id] = Controller(callbacks: try StandardsSettings.callbackPrefixes(entry))
            try entry.rejectUnknownKeys()
        }
        try section.rejectUnknownKeys()
    }
}

/// The right a standard's action or request type files, with the parameters it always carries.
public struct MappedRight: Sendable, Equatable {
    public var right: String
    public var parameters: [String: String]

    init(right: String, parameters: [String: String]) {
        self.right = right
        self.parameters = parameters
    }

    init(_ entry: ConfigSection) throws(ConfigError) {
        var parameters: [String: String] = [:]
        if let given = try entry.optionalSection("parameters") {
            for key in given.keys { parameters[key] = try given.string(key) }
        }
        self.init(right: try entry.string("right"), parameters: parameters)
        try entry.rejectUnknownKeys()
    }
}
