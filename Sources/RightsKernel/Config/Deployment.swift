import Foundation

/// A loaded deployment: its settings and the modules it enables, built and validated.
///
/// Loading happens in two phases so the composition root can build the services (which need
/// the store path) between them:
/// ```swift
/// let deployment = try Deployment.load(path: "config.yaml", registry: registry) { settings in
///     try makeServices(for: settings)
/// }
/// ```
public struct Deployment: Sendable {
    public let settings: DeploymentSettings
    public let services: Services
    public let rights: [String: EnabledRight]

    /// The grounds an operator may cite on this deployment: the kernel's, then those of each
    /// enabled module.
    public var denialGrounds: [DenialGround] {
        DenialGround.kernelGrounds + rights.keys.sorted().flatMap { rights[$0].map { type(of: $0.module).denialGrounds } ?? [] }
    }

    /// The ground with `code` among ``denialGrounds``.
    public func denialGround(_ code: String) -> DenialGround? {
        denialGrounds.first { $0.code == code }
    }

    /// One enabled module with the kernel's settings for it.
    public struct EnabledRight: Sendable {
        public let module: any RightModule
        public let settings: RightSettings
    }

    /// Parses, validates and instantiates; every mistake found is reported together.
    public static func load(
        path: String,
        registry: ModuleRegistry,
        services makeServices: (DeploymentSettings) throws -> Services
    ) throws -> Deployment {
        let root = try ConfigSection.load(path: path)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try load(root: root, baseDirectory: base, registry: registry, services: makeServices)
    }

    /// Loads from YAML text; `file` names it in errors.
    public static func load(
        yaml: String,
        file: String,
        baseDirectory: String,
        registry: ModuleRegistry,
        services makeServices: (DeploymentSettings) throws -> Services
    ) throws -> Deployment {
        try load(
            root: ConfigSection.parse(yaml: yaml, file: file), baseDirectory: baseDirectory, registry: registry, services: makeServices)
    }

    private static func load(
        root: ConfigSection,
        baseDirectory: String,
        registry: ModuleRegistry,
        services makeServices: (DeploymentSettings) throws -> Services
    ) throws -> Deployment {
        var errors: [ConfigError] = []
        var settings: DeploymentSettings?
        do {
            settings = try DeploymentSettings(root: root, baseDirectory: baseDirectory)
        } catch {
            errors.append(error)
        }

        var pending: [(identifier: String, type: any RightModule.Type, section: ConfigSection)] = []
        do {
            for (identifier, section) in try root.section("rights").sections() {
                guard let type = registry.module(identifier) else {
                    let hint = Spelling.closest(to: identifier, in: registry.identifiers).map { "did you mean '\($0)'? " } ?? ""
                    let known = registry.identifiers.isEmpty ? "none are registered" : registry.identifiers.joined(separator: ", ")
                    errors.append(
                        ConfigError(
                            file: root.file, line: section.line, column: section.column, keyPath: section.keyPath,
                            message: "unknown right module; \(hint)known modules: \(known)"))
                    continue
                }
                pending.append((identifier, type, section))
            }
        } catch {
            errors.append(error)
        }
        do {
            try root.rejectUnknownKeys(known: ["deployment", "policy", "services", "data_map", "rights", "server", "standards"])
        } catch {
            errors.append(error)
        }
        guard let settings, errors.isEmpty else { throw ConfigErrors(errors) }

        var services: Services
        do {
            services = try makeServices(settings)
        } catch let error as ConfigError {
            throw ConfigErrors([error])
        }
        // The wording: the kernel's, each module's, then the deployment's own, so modules load
        // with the texts they will speak in.
        var texts = TextCatalogue.standard.including(settings.wording)
        for (identifier, type, section) in pending {
            texts = texts.including(type.texts, under: "right.\(identifier).")
            do {
                if let wording = try section.optionalSection("texts") {
                    let known = type.texts.keys(.english).union(TextCatalogue.standard.keys(.english))
                    texts = texts.including(
                        try DeploymentWording.read(wording, known: known, open: ["choice."]), under: "right.\(identifier).")
                }
            } catch {
                errors.append(error)
            }
        }
        texts.languages = settings.languages
        services.texts = texts
        var rights: [String: EnabledRight] = [:]
        for (identifier, type, section) in pending {
            do {
                let module = try type.load(from: section, services: services)
                let rightSettings = try RightSettings(section: section, module: type)
                rights[identifier] = EnabledRight(module: module, settings: rightSettings)
            } catch let error as ConfigError {
                errors.append(error)
            } catch let error as MissingDataCapability {
                errors.append(section.location.error("the \(identifier) right \(error)"))
            }
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return Deployment(settings: settings, services: services, rights: rights)
    }
}
