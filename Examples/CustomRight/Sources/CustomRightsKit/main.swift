import AccessRight
import AccountCancellationRight
import ConsentWithdrawalRight
import CorrectionRight
import DiscontinuationNoticeRight
import ErasureRight
import ExplanationRight
import Foundation
import PortabilityRight
import PostMortemRight
import RestrictionRight
import RightsCLI
import RightsKernel
import SaleOptOutRight

// This organisation's composition root: RightsKit's nine rights and its own two.
let registry = ModuleRegistry([
    AccessRight.self, CorrectionRight.self, ErasureRight.self, ConsentWithdrawalRight.self, AccountCancellationRight.self,
    PortabilityRight.self, DiscontinuationNoticeRight.self, ExplanationRight.self, PostMortemRight.self,
    RestrictionRight.self, SaleOptOutRight.self,
])
await RightsCommandLine.main(registry: registry)
