import Foundation
import RightsKernel

/// Clause 5.3, the right to erasure: the request names one of the five grounds; each field is
/// erased by its strategy; where a retention period runs, or deletion is technically
/// infeasible, the data is restricted to storage and security instead and the response says
/// what, why and until when.
///
/// Parameter: `ground`. Key: `grounds` (the grounds this deployment accepts; all five by default).
public struct ErasureRight: RightModule {
    public static let identifier = "erasure"
    public static let summary = "5.3 Erasure on one of five grounds; retained data restricted instead"
    public static let parameters = [RequestParameter("ground", "why the data must be erased: one of the deployment's erasure grounds")]

    let grounds: [ErasureGround]

    public init(configuration: ConfigSection, services: Services) throws {
        var grounds: [ErasureGround] = []
        for name in try configuration.strings("grounds", default: ErasureGround.allCases.map(\.rawValue)) {
            guard let ground = ErasureGround(rawValue: name) else {
                let hint = Spelling.closest(to: name, in: ErasureGround.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
                throw configuration.invalid("grounds", "expected grounds among \(ErasureGround.allCases.map(\.rawValue).joined(separator: ", ")), found '\(name)'\(hint)")
            }
            grounds.append(ground)
        }
        guard !grounds.isEmpty else { throw configuration.invalid("grounds", "expected at least one ground") }
        self.grounds = grounds
    }

    public func validate(_ request: RightRequest) throws(IntakeError) {
        let accepted = grounds.map(\.rawValue).joined(separator: ", ")
        guard let name = request.parameters["ground"] else {
            throw IntakeError(field: "ground", "an erasure request names its ground: \(accepted)")
        }
        guard let ground = ErasureGround(rawValue: name), grounds.contains(ground) else {
            throw IntakeError(field: "ground", "expected one of \(accepted), found '\(name)'")
        }
    }

    public func handle(_ request: RightRequest, context: HandlingContext) async throws -> RightOutcome {
        guard let subject = request.subject, let ground = request.parameters["ground"].flatMap(ErasureGround.init(rawValue:)) else {
            return .denied(.otherLaw, message: "The request no longer names its subject and ground.")
        }
        let scope = context.scopeOutsideHolds
        let report = try await context.step("erasure.erase", durability: .idempotent) {
            try await context.services.data.erase([subject], scope: scope, request: request.id, at: context.services.clock.now)
        }
        return .erasure(report, reason: "Erased because \(ground.description)", holds: context.categoryHolds)
    }
}
