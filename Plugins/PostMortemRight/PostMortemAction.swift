/// What a close relative may ask for after the subject's death (PIPL Art. 49, clause 5.9).
public enum PostMortemAction: String, Sendable, CaseIterable, Codable {
    case access, copy, correct, delete
}
