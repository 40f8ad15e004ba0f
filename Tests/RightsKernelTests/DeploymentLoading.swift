import Foundation
import Logging
import RightsKernel
import RightsStore
import RightsTesting

/// Loads a deployment from YAML text against an in-memory store, as `check-config` does.
func loadDeployment(_ yaml: String, file: String = "deploy.yaml", modules: [any RightModule.Type] = [ProbeRight.self]) throws -> Deployment
{
    try Deployment.load(yaml: yaml, file: file, baseDirectory: "/tmp", registry: ModuleRegistry(modules)) { settings in
        try SQLiteStore.inMemory().services(identity: settings.identity, logger: Logger(label: "test"))
    }
}

/// The located errors a deployment produces; empty when it loads.
func configErrors(_ yaml: String) -> [ConfigError] {
    do {
        _ = try loadDeployment(yaml)
        return []
    } catch let errors as ConfigErrors {
        return errors.errors
    } catch let error as ConfigError {
        return [error]
    } catch {
        return [ConfigError(file: "?", line: 0, column: 0, keyPath: "", message: "unexpected \(error)")]
    }
}

/// A valid deployment; tests change one line of it.
let validDeployment = """
    deployment: { name: example-cloud-cn, jurisdiction: CN-PIPL, timezone: Asia/Shanghai }
    policy:
      deadline: { days: 15, business_days: true }
      extension: { days: 15 }
      repeat: { window_days: 365, free: 4, beyond: fee, fee: { amount: 30, currency: CNY } }
    services:
      store: { driver: sqlite, path: data/rightskit.sqlite }
      identity: { code_ttl_seconds: 600, max_attempts: 3 }
      notifier: { driver: outbox }
    rights:
      probe: { steps: 2 }
    """
