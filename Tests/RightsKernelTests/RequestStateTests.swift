import Foundation
import RightsKernel
import RightsStore
import Testing

@Suite("The request lifecycle refuses every illegal transition")
struct RequestStateTests {
    static let legal: Set<String> = [
        "received>awaitingVerification", "received>verified", "received>denied", "received>cancelled",
        "awaitingVerification>verified", "awaitingVerification>denied", "awaitingVerification>cancelled",
        "verified>awaitingFee", "verified>awaitingReview", "verified>inProgress", "verified>denied", "verified>cancelled",
        "awaitingFee>awaitingReview", "awaitingFee>inProgress", "awaitingFee>denied", "awaitingFee>cancelled",
        "awaitingReview>awaitingFee", "awaitingReview>inProgress", "awaitingReview>denied", "awaitingReview>cancelled",
        "inProgress>completed", "inProgress>partiallyCompleted", "inProgress>denied", "inProgress>needsAttention",
        "needsAttention>inProgress", "needsAttention>denied",
    ]

    func request(in state: RequestState) -> RightRequest {
        var request = RightRequest(
            right: "probe", subject: SubjectIdentity(kind: "email", value: "a@example.cn"), subjectKey: SubjectKey(rawValue: "k"),
            receivedAt: Date(), dueAt: Date())
        request.state = state
        return request
    }

    @Test(arguments: RequestState.allCases)
    func everyTransitionFromState(_ from: RequestState) {
        for to in RequestState.allCases {
            var request = request(in: from)
            let isLegal = Self.legal.contains("\(from.rawValue)>\(to.rawValue)")
            if isLegal {
                #expect(throws: Never.self) { try request.transition(to: to, at: Date()) }
                #expect(request.state == to)
            } else {
                #expect(throws: LifecycleError(request: request.id, from: from, to: to)) { try request.transition(to: to, at: Date()) }
                #expect(request.state == from, "a refused transition leaves the state alone")
            }
        }
    }

    @Test func finalStatesHaveNoWayOut() {
        for state in RequestState.allCases where state.isFinal {
            #expect(state.successors.isEmpty)
        }
        #expect(RequestState.allCases.filter(\.isFinal) == [.completed, .partiallyCompleted, .denied, .cancelled])
    }

    @Test func minimisingDropsIdentitiesButKeepsTheKey() {
        var request = request(in: .completed)
        request.parameters = ["ground": "consent-withdrawn"]
        request.minimise()
        #expect(request.subject == nil)
        #expect(request.contact == nil)
        #expect(request.parameters.isEmpty)
        #expect(request.subjectKey.rawValue == "k")
    }
}
