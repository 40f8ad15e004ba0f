import Foundation
import Logging
import ServiceLifecycle

/// Background work the server runs on a schedule: once at start, then every `interval`, until
/// graceful shutdown. A pass that fails is logged and the next one runs on time; a pass under
/// way when shutdown begins finishes (within the server's grace period).
struct PeriodicService: Service, CustomStringConvertible {
    let name: String
    let interval: TimeInterval
    let logger: Logger
    let work: @Sendable () async throws -> Void

    var description: String { name }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await work()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("background pass failed", metadata: ["service": "\(name)", "error": "\(Self.describe(error))"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(interval * 1_000))) }
            } catch {
                return
            }
        }
    }

    /// An error as it may be logged: kernel errors say what happened without personal data;
    /// anything else is named by type only.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as any CustomStringConvertible & Sendable where String(reflecting: type(of: error)).hasPrefix("RightsKernel."):
            error.description
        default:
            String(reflecting: type(of: error))
        }
    }
}
