import Foundation
import RightsKernel

/// DRP's Exercise Status object (§3.03), written from a request as it stands or as it stood at
/// one change (a status callback).
struct DRPStatus: Encodable, Equatable {
    var requestID: String
    var agentRequestID: String?
    var status: String
    var reason: String?
    var receivedAt: String
    var expectedBy: String?
    var processingDetails: String?
    var userVerificationURL: String?

    init(_ change: RequestStatusChange, publicURL: URL?) {
        requestID = change.request.rawValue
        agentRequestID = change.channel.reference
        receivedAt = Timestamp.string(change.receivedAt)
        let (status, reason) = Self.status(of: change.state, ground: change.ground)
        self.status = status
        self.reason = reason
        // Once acknowledged (in progress) the date to expect an answer by; an extension says why.
        if status == "in_progress" { expectedBy = Timestamp.string(change.dueAt) }
        processingDetails = change.extensionReason.map { "extended: \($0)" }
        if status == "denied", let ground = change.ground { processingDetails = DenialGround.kernel(ground)?.explanation ?? ground }
        if reason == "need_user_verification", let publicURL {
            userVerificationURL =
                publicURL.appendingPathComponent("requests").appendingPathComponent(change.request.rawValue)
                .appendingPathComponent("confirm").absoluteString
        }
    }

    /// DRP's state and reason for a RightsKit state (§3.02). A request waiting for the person's
    /// code is `in_progress` / `need_user_verification`; a cancelled one was revoked (by the
    /// agent, or by an operator at the person's word); a denial's ground picks the reason.
    static func status(of state: RequestState, ground: String?) -> (String, String?) {
        switch state {
        case .received: return ("open", nil)
        case .awaitingVerification: return ("in_progress", "need_user_verification")
        case .verified, .awaitingFee, .awaitingReview, .inProgress, .needsAttention: return ("in_progress", nil)
        case .completed, .partiallyCompleted: return ("fulfilled", nil)
        case .cancelled: return ("revoked", nil)
        case .denied:
            switch ground {
            case DenialGround.identityNotVerified.code: return ("denied", "insuf_verification")
            case DenialGround.gratuitousRepetition.code, DenialGround.manifestlyUnfounded.code: return ("denied", "too_many_requests")
            case DenialGround.abuseOfRights.code: return ("denied", "suspected_fraud")
            default: return ("denied", "other")
            }
        }
    }
}
