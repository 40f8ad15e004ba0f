public import Foundation

/// The exception checks of clause 5.11: legal holds on subjects or data categories.
public protocol ExceptionChecks: Sendable {
    /// Holds that apply to `subject` at `time`: its own holds and category-wide holds.
    func activeHolds(for subject: SubjectKey, at time: Date) async throws -> [Hold]
    /// Records a hold; returns it with its id.
    func addHold(_ hold: Hold) async throws -> Hold
    /// Lifts a hold now; false when no such hold exists.
    func removeHold(id: Int64, at time: Date) async throws -> Bool
    /// Every hold, active or not.
    func holds() async throws -> [Hold]
}
