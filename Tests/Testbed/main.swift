import Foundation
import Logging
import RightsCLI
import RightsKernel
import RightsTesting

// A composition root for the CLI tests: the real command line with the probe module, so a
// request can be driven end to end, and killed between steps, as a real subprocess.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}

await RightsCommandLine.main(registry: ModuleRegistry([ProbeRight.self]))
