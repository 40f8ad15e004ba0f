// swift-tools-version:6.1
import PackageDescription

/// Right modules that ship with RightsKit. Each lives in `Plugins/<Name>Right/`, depends on
/// `RightsKernel` only and has its own test target `Tests/<Name>RightTests/`.
let rightModules: [String] = [
    "AccessRight", "CorrectionRight", "ErasureRight", "ConsentWithdrawalRight", "AccountCancellationRight",
    "PortabilityRight", "DiscontinuationNoticeRight", "ExplanationRight", "PostMortemRight",
]

/// What a module needs beyond the kernel: only libraries, never another module, the store or
/// the server.
let moduleExtras: [String: [Target.Dependency]] = [
    "PortabilityRight": [.product(name: "Crypto", package: "swift-crypto")]
]

let package = Package(
    name: "RightsKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RightsKernel", targets: ["RightsKernel"]),
        .library(name: "RightsStorage", targets: ["RightsStorage"]),
        .library(name: "RightsStore", targets: ["RightsStore"]),
        .library(name: "RightsTesting", targets: ["RightsTesting"]),
        .library(name: "RightsServer", targets: ["RightsServer"]),
        .library(name: "RightsCLI", targets: ["RightsCLI"]),
        .executable(name: "rightskit", targets: ["rightskit"]),
        // `swift package --allow-writing-to-package-directory new-right Objection`
        .plugin(name: "NewRight", targets: ["NewRight"]),
    ]
        // Each shipped right is a library of its own, so a package outside this repository
        // composes its own `rightskit` from the nine and its own modules.
        + rightModules.map { .library(name: $0, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .target(
            name: "RightsKernel",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            // One string catalogue per language: the privacy centre's pages and every message to a subject.
            resources: [.copy("Texts/en.json"), .copy("Texts/zh-Hans.json")]
        ),
        // The storage core: every ledger, audit, outbox, claim and quota algorithm, once, over a
        // small driver contract (executor, transactions, snapshot, dialect).
        .target(
            name: "RightsStorage",
            dependencies: [
                "RightsKernel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RightsStore",
            dependencies: [
                "RightsKernel",
                "RightsStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RightsTesting",
            dependencies: [
                "RightsKernel", "RightsStorage", "RightsStore", "RightsPostgres", "RightsDrivers", "RightsOutbound",
                "RightsExport", .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The HTTP service: another composition root's building block over the same pipeline.
        // Its routes are generated from `openapi.yaml`, so the document and the server are one thing.
        .target(
            name: "RightsServer",
            dependencies: [
                "RightsKernel",
                "RightsStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [
                .copy("openapi.yaml"), .copy("PrivacyCentre/Templates"), .copy("PrivacyCentre/Assets"),
            ],
            swiftSettings: [.enableUpcomingFeature("InternalImportsByDefault")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // The ledger on PostgreSQL, shared by several servers.
        .target(
            name: "RightsPostgres",
            dependencies: [
                "RightsKernel",
                "RightsStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The export formats (JSON, CSV, ZIP), injected as the kernel's `Services.exports`.
        .target(
            name: "RightsExport",
            dependencies: ["RightsKernel", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        // Requests to other organisations over AsyncHTTPClient, injected as the kernel's
        // `Services.http` by composition roots.
        .target(
            name: "RightsOutbound",
            dependencies: [
                "RightsKernel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The drivers composed: what opens the store and the data a deployment names, and the
        // tools that move data from one database to another. Only composition roots use it.
        .target(
            name: "RightsDrivers",
            dependencies: [
                "RightsKernel",
                "RightsStorage",
                "RightsStore",
                "RightsPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RightsCLI",
            dependencies: [
                "RightsKernel",
                "RightsStorage",
                "RightsStore",
                "RightsServer",
                "RightsPostgres",
                "RightsDrivers",
                "RightsOutbound",
                "RightsExport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Writes a new right module, its settings type and a test target with the conformance
        // check, and prints the lines that register it.
        .plugin(
            name: "NewRight",
            capability: .command(
                intent: .custom(verb: "new-right", description: "Write a new right module, its settings and its test target"),
                permissions: [.writeToPackageDirectory(reason: "writes the module's folder and its test target's folder")]
            ),
            path: "CommandPlugins/NewRight"
        ),
        .executableTarget(
            name: "rightskit",
            dependencies: ["RightsCLI", "RightsKernel", .product(name: "Logging", package: "swift-log")]
                + rightModules.map { Target.Dependency(stringLiteral: $0) }
        ),
        // A second composition root used only by the tests: registers test modules, so the CLI
        // can be driven end to end as a real subprocess without shipping those modules.
        .executableTarget(
            name: "rightskit-testbed",
            dependencies: ["RightsCLI", "RightsKernel", "RightsTesting", .product(name: "Logging", package: "swift-log")]
                + rightModules.map { Target.Dependency(stringLiteral: $0) },
            path: "Tests/Testbed"
        ),
        .testTarget(
            name: "RightsKernelTests",
            dependencies: [
                "RightsKernel", "RightsStore", "RightsTesting", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "RightsStoreTests",
            dependencies: [
                "RightsStore", "RightsKernel", "RightsTesting", "RightsPostgres", "RightsDrivers", "RightsStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "RightsTestingTests", dependencies: ["RightsTesting", "RightsKernel"]),
        // Every jurisdiction pack of Examples/ under a simulated clock, with the shipped rights.
        .testTarget(
            name: "JurisdictionPackTests",
            dependencies: ["RightsKernel", "RightsStore", "RightsTesting"] + rightModules.map { Target.Dependency(stringLiteral: $0) }
        ),
        .testTarget(
            name: "RightsPostgresTests",
            dependencies: [
                "RightsPostgres", "RightsStore", "RightsKernel", "RightsTesting", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RightsCLITests",
            dependencies: [
                "RightsCLI", "RightsKernel", "RightsTesting", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
        + rightModules.map {
            // Each module ships its wording, one catalogue per language.
            .target(
                name: $0, dependencies: ["RightsKernel"] + (moduleExtras[$0] ?? []), path: "Plugins/\($0)",
                resources: [.copy("Texts/en.json"), .copy("Texts/zh-Hans.json")])
        }
        + rightModules.map {
            .testTarget(
                name: "\($0)Tests",
                dependencies: [
                    .byName(name: $0), "RightsKernel", "RightsStore", "RightsTesting", "RightsOutbound",
                    "RightsExport", .product(name: "GRDB", package: "GRDB.swift"),
                ]
            )
        }
)

for target in package.targets where target.type != .plugin {
    var settings = target.swiftSettings ?? []
    // Imports are internal unless a file says `public import`: a dependency reaches a target's
    // public surface only where it is meant to.
    if target.type == .regular, target.name != "RightsServer" {
        settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    }
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
