// swift-tools-version:6.1
import PackageDescription

/// Rights added to RightsKit from outside its repository: GDPR restriction of processing
/// (Art. 18) and the CCPA opt-out of sale and sharing (§1798.120). Each module depends on
/// `RightsKernel` only; the executable is this organisation's own composition root, registering
/// the nine shipped rights and these two.
let kit: Package.Dependency = .package(name: "RightsKit", path: "../..")

let package = Package(
    name: "CustomRight",
    platforms: [.macOS(.v15)],
    products: [
        // This organisation's `rightskit`. In its own repository it would be named `rightskit`;
        // here it shares RightsKit's build folder in CI, where that name is taken.
        .executable(name: "custom-rightskit", targets: ["CustomRightsKit"]),
        .library(name: "RestrictionRight", targets: ["RestrictionRight"]),
        .library(name: "SaleOptOutRight", targets: ["SaleOptOutRight"]),
    ],
    dependencies: [kit],
    targets: [
        // Each right ships its wording (`Texts/<language>.json`); the opt-out speaks English only.
        .target(
            name: "RestrictionRight", dependencies: [.product(name: "RightsKernel", package: "RightsKit")],
            resources: [.copy("Texts/en.json"), .copy("Texts/zh-Hans.json")]),
        .target(
            name: "SaleOptOutRight", dependencies: [.product(name: "RightsKernel", package: "RightsKit")],
            resources: [.copy("Texts/en.json")]),
        .executableTarget(
            name: "CustomRightsKit",
            dependencies: [
                "RestrictionRight", "SaleOptOutRight",
                .product(name: "RightsCLI", package: "RightsKit"), .product(name: "RightsKernel", package: "RightsKit"),
                .product(name: "AccessRight", package: "RightsKit"), .product(name: "CorrectionRight", package: "RightsKit"),
                .product(name: "ErasureRight", package: "RightsKit"), .product(name: "ConsentWithdrawalRight", package: "RightsKit"),
                .product(name: "AccountCancellationRight", package: "RightsKit"),
                .product(name: "PortabilityRight", package: "RightsKit"),
                .product(name: "DiscontinuationNoticeRight", package: "RightsKit"),
                .product(name: "ExplanationRight", package: "RightsKit"), .product(name: "PostMortemRight", package: "RightsKit"),
            ]
        ),
        .testTarget(
            name: "RestrictionRightTests",
            dependencies: [
                "RestrictionRight", .product(name: "RightsKernel", package: "RightsKit"),
                .product(name: "RightsTesting", package: "RightsKit"),
                .product(name: "RightsStore", package: "RightsKit"),
            ]
        ),
        .testTarget(
            name: "SaleOptOutRightTests",
            dependencies: [
                "SaleOptOutRight", .product(name: "RightsKernel", package: "RightsKit"),
                .product(name: "RightsTesting", package: "RightsKit"),
                .product(name: "RightsStore", package: "RightsKit"),
            ]
        ),
    ]
)
