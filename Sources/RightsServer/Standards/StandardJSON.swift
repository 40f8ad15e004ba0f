import Foundation

/// The JSON the open standards speak: snake_case keys written from Swift's property names
/// (`controllerID` as `controller_id`), sorted, so equal answers are equal bytes and a
/// signature over them is reproducible.
enum StandardJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(value)
    }
}
