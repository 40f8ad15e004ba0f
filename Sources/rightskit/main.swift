import Foundation
import Logging
import RightsCLI
import RightsKernel

// The composition root: the one place that knows every right module.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["RIGHTSKIT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return handler
}

let registry = ModuleRegistry([])
await RightsCommandLine.main(registry: registry)
