/// The files `new-right` writes and the lines it prints.
enum Templates {
    static func module(name: String, identifier: String) -> String {
        """
        import Foundation
        import RightsKernel

        /// TODO: the right this module honours, the law and article it implements, and what the
        /// subject receives. This starting point limits processing of the subject's rows for the
        /// configured purposes, where the host application reads it; change `handle` to what the
        /// right does.
        public struct \(name): RightModule {
            public static let identifier = "\(identifier)"
            public static let summary = "TODO: one line shown by `rightskit modules`"
            public static let parameters = [RequestParameter("reason", "why the subject asks", freeText: true)]
            /// What this right needs from the deployment's data connector beyond reading.
            public static let dataCapabilities: Set<DataCapability> = [.reading, .processingLimits]
            /// Grounds particular to this right that an operator may cite (`rightskit deny --ground`).
            public static let denialGrounds: [DenialGround] = [.\(lowerFirst(name))NotApplicable]

            /// The module's keys under `rights.\(identifier)` in the deployment file.
            public struct Settings: ModuleSettings {
                /// The purposes processing stops for.
                public var purposes: [String] = ["direct-marketing"]
                /// The legal basis recorded with each limit, which the host may show.
                public var basis = "TODO: the article"

                public init() {}

                public static var keys: [SettingKey<Self>] {
                    [
                        SettingKey("purposes", \\.purposes, "the purposes processing stops for"),
                        SettingKey("basis", \\.basis, "the legal basis recorded with each limit"),
                    ]
                }

                public func validate(in section: ConfigSection) throws(ConfigError) {
                    guard !purposes.isEmpty else { throw section.invalid("purposes", "expected at least one purpose") }
                }
            }

            let settings: Settings
            let limits: any ProcessingLimits

            public init(settings: Settings, services: Services) throws {
                self.settings = settings
                limits = try services.data.capability(.processingLimits, as: (any ProcessingLimits).self)
            }

            public func validate(_ request: RightRequest) throws(IntakeError) {
                if let reason = request.parameters["reason"], reason.count > 500 {
                    throw IntakeError(field: "reason", "expected at most 500 characters")
                }
            }

            public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
                guard let subject = request.subject else {
                    return .denied(.otherLaw, message: "The request no longer names its subject.")
                }
                let limit = ProcessingLimit(purposes: settings.purposes, basis: settings.basis)
                let report = try await context.step("\(identifier).limit", durability: .idempotent) {
                    try await limits.limitProcessing([subject], limit, request: request.id, at: context.services.clock.now)
                }
                return .done(
                    "We stopped processing your data for \\(settings.purposes.joined(separator: ", ")).",
                    references: ["rows": "\\(report.rows.values.reduce(0, +))"])
            }
        }

        extension DenialGround {
            /// TODO: when this right does not apply.
            public static let \(lowerFirst(name))NotApplicable = DenialGround(
                code: "\(identifier)-not-applicable", explanation: "TODO: why the right does not apply")
        }

        """
    }

    static func tests(name: String, identifier: String) -> String {
        """
        import Foundation
        import RightsKernel
        import RightsStore
        import RightsTesting
        import Testing

        @testable import \(name)

        @Suite("\(name)")
        struct \(name)Tests {
            /// The checks every right passes: audited decisions, a denied request changes nothing,
            /// a retry does no double work, other subjects untouched, holds honoured.
            @Test func conformsToTheKernelContract() async throws {
                let failures = try await RightModuleConformance(module: \(name).self, rights: "\(identifier): {}").run()
                #expect(failures.isEmpty, "\\(failures)")
            }

            /// A verified request limits processing of the subject's rows for the configured purposes.
            @Test func limitsProcessingOfTheSubjectsRows() async throws {
                let harness = try RightsTestHarness.sample(
                    subjects: 20, modules: [\(name).self], rights: "\(identifier): { purposes: [profiling] }",
                    policy: "deadline: { days: 30 }")
                let request = try await harness.run(
                    RequestIntake(right: "\(identifier)", subject: SubjectIdentity(kind: "email", value: SampleBusinessDatabase.email(3))))
                #expect(request.state == .completed)
                let limits = try await harness.processingLimits(ofSubject: 3)
                #expect(!limits.isEmpty && limits.allSatisfy { $0.purposes == ["profiling"] })
                #expect(try await harness.processingLimits(ofSubject: 4).isEmpty)
            }

            /// A misspelt key is refused at load with the closest key suggested.
            @Test func misspeltKeyIsLocated() throws {
                #expect(throws: (any Error).self) {
                    try RightsTestHarness.sample(subjects: 5, modules: [\(name).self], rights: "\(identifier): { purpose: [x] }")
                }
            }
        }

        """
    }

    static func registration(name: String, folder: String) -> String {
        """

        Add to Package.swift's targets:

            .target(name: "\(name)", dependencies: [.product(name: "RightsKernel", package: "RightsKit")], path: "\(folder)/\(name)"),
            .testTarget(
                name: "\(name)Tests",
                dependencies: [
                    "\(name)", .product(name: "RightsKernel", package: "RightsKit"), .product(name: "RightsTesting", package: "RightsKit"),
                    .product(name: "RightsStore", package: "RightsKit"),
                ]
            ),

        and "\(name)" to the dependencies of your composition root's executable target. Register it there:

            import \(name)
            let registry = ModuleRegistry([/* the shipped rights */, \(name).self])

        Then: swift build --build-tests && swift test --skip-build --filter \(name)Tests
        """
    }

    static func registrationInRightsKit(name: String) -> String {
        """

        Add "\(name)" to `rightModules` in Package.swift (that makes its target, its library product
        and its test target), and `\(name).self` to the registry in Sources/rightskit/main.swift
        (with `import \(name)`).

        Then: swift build --build-tests && swift test --skip-build --filter \(name)Tests
        """
    }

    static func lowerFirst(_ text: String) -> String {
        text.prefix(1).lowercased() + text.dropFirst()
    }
}
