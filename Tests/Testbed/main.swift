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
import RightsTesting

// A composition root for the CLI tests: the real command line with the nine rights and the probe
// module, so a request can be driven end to end, and killed between steps or at a named crash
// point (RIGHTSKIT_CRASH_AT, see CrashPoint), as a real subprocess.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}

CrashPoint.bootstrap()

await RightsCommandLine.main(
    registry: ModuleRegistry([
        ProbeRight.self, AccessRight.self, CorrectionRight.self, ErasureRight.self, ConsentWithdrawalRight.self,
        AccountCancellationRight.self,
        PortabilityRight.self, DiscontinuationNoticeRight.self, ExplanationRight.self, PostMortemRight.self,
    ]))
