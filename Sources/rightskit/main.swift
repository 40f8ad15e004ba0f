import AccessRight
import AccountCancellationRight
import ConsentWithdrawalRight
import CorrectionRight
import DiscontinuationNoticeRight
import ErasureRight
import ExplanationRight
import Foundation
import Logging
import PortabilityRight
import PostMortemRight
import RightsCLI
import RightsKernel

// The composition root: the one place that knows every right module.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["RIGHTSKIT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return handler
}

let registry = ModuleRegistry([
    AccessRight.self, CorrectionRight.self, ErasureRight.self, ConsentWithdrawalRight.self, AccountCancellationRight.self,
    PortabilityRight.self, DiscontinuationNoticeRight.self, ExplanationRight.self, PostMortemRight.self,
])
await RightsCommandLine.main(registry: registry)
