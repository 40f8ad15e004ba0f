import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory new-right Objection [--identifier objection]
/// [--folder Sources]`: writes `<folder>/ObjectionRight/ObjectionRight.swift` (the module and its
/// settings type) and `Tests/ObjectionRightTests/ObjectionRightTests.swift` (the conformance
/// check and a first behaviour test), refuses to overwrite anything, and prints the lines that
/// add the module to `Package.swift` and to the composition root.
@main
struct NewRight: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let identifierOption = extractor.extractOption(named: "identifier").last
        let folderOption = extractor.extractOption(named: "folder").last
        guard let base = extractor.remainingArguments.first, Self.isTypeName(base) else {
            throw NewRightError(
                "usage: swift package --allow-writing-to-package-directory new-right Name [--identifier id] [--folder Sources]\n"
                    + "Name is a Swift type name in UpperCamelCase, such as Objection; the module is NameRight")
        }
        let name = base.hasSuffix("Right") ? base : base + "Right"
        let identifier = identifierOption ?? Self.kebab(String(name.dropLast("Right".count)))
        let isRightsKit = context.package.displayName == "RightsKit"
        let folder = folderOption ?? (isRightsKit ? "Plugins" : "Sources")
        let root = context.package.directoryURL
        let moduleFolder = root.appendingPathComponent(folder).appendingPathComponent(name)
        let testFolder = root.appendingPathComponent("Tests").appendingPathComponent("\(name)Tests")
        for existing in [moduleFolder, testFolder] where FileManager.default.fileExists(atPath: existing.path) {
            throw NewRightError("\(existing.path) already exists; nothing was written")
        }
        try FileManager.default.createDirectory(at: moduleFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: testFolder, withIntermediateDirectories: true)
        try Templates.module(name: name, identifier: identifier)
            .write(to: moduleFolder.appendingPathComponent("\(name).swift"), atomically: true, encoding: .utf8)
        try Templates.tests(name: name, identifier: identifier)
            .write(to: testFolder.appendingPathComponent("\(name)Tests.swift"), atomically: true, encoding: .utf8)
        print("Wrote \(folder)/\(name)/\(name).swift and Tests/\(name)Tests/\(name)Tests.swift.")
        print(isRightsKit ? Templates.registrationInRightsKit(name: name) : Templates.registration(name: name, folder: folder))
    }

    static func isTypeName(_ text: String) -> Bool {
        guard let first = text.first, first.isUppercase, first.isASCII else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// `DataPortability` → `data-portability`.
    static func kebab(_ text: String) -> String {
        var result = ""
        for character in text {
            if character.isUppercase, !result.isEmpty { result += "-" }
            result += character.lowercased()
        }
        return result
    }
}

struct NewRightError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
