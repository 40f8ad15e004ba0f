/// What a subject arranged for after their death: the actions their close relatives may not
/// take. Kept in the recording request's outcome as `deny:<actions>` (the text it always had, so
/// arrangements recorded before read back the same), read and written only here.
public struct PostMortemArrangement: Sendable, Equatable {
    /// The actions close relatives may not take; empty when the subject forbade nothing.
    public var forbidden: Set<PostMortemAction>

    public init(forbidden: Set<PostMortemAction>) {
        self.forbidden = forbidden
    }

    /// The arrangement a recorded outcome holds; nil for text that is not one.
    public init?(recorded text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        self.init(
            forbidden: Set(text.dropFirst(Self.prefix.count).split(separator: ",").compactMap { PostMortemAction(rawValue: String($0)) }))
    }

    /// The text kept in the outcome's `arrangement` reference.
    public var recorded: String {
        Self.prefix + forbidden.map(\.rawValue).sorted().joined(separator: ",")
    }

    private static let prefix = "deny:"
}
