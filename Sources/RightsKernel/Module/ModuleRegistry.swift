/// Maps module identifiers to their types; filled once, at the composition root.
///
/// The kernel instantiates only the modules a deployment enables.
public struct ModuleRegistry: Sendable {
    private var types: [String: any RightModule.Type] = [:]

    public init(_ modules: [any RightModule.Type] = []) {
        for module in modules { register(module) }
    }

    /// Adds a module type; a later registration under the same identifier replaces the earlier.
    public mutating func register(_ module: any RightModule.Type) {
        types[module.identifier] = module
    }

    /// The module registered under `identifier`, if any.
    public func module(_ identifier: String) -> (any RightModule.Type)? {
        types[identifier]
    }

    /// Every registered identifier, sorted.
    public var identifiers: [String] { types.keys.sorted() }

    /// Every registered module type, sorted by identifier.
    public var modules: [any RightModule.Type] { identifiers.compactMap { types[$0] } }
}
