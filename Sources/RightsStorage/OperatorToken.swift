public import Foundation
package import RightsKernel

/// What an operator's token lets its holder do through `rightskit serve`.
public enum OperatorRole: String, Codable, Sendable, CaseIterable {
    /// Works the queue: reads requests with their personal data, approves, denies, extends,
    /// routes to review, manages holds, announces discontinuations, reads the outbox.
    case `operator`
    /// Decides: reads a request, approves, denies, routes to review; nothing else.
    case reviewer
    /// Reads only: the audit chain and requests without personal data.
    case auditor
    /// An authorised agent paired through the Data Rights Protocol (named `drp.<agent-id>`):
    /// files and follows its own requests there, and nothing else; no admin endpoint admits it.
    case agent
    /// A controller sending its subjects' requests through OpenDSR (named by its id in
    /// `standards.opendsr.controllers`): files and follows its own requests there, and nothing else.
    case controller
}

/// A bearer token as the ledger keeps it: a name, a role and the SHA-256 of the secret, which
/// is shown once, when the token is created.
public struct OperatorToken: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var role: OperatorRole
    public var createdAt: Date
    public var revokedAt: Date?

    package init(id: Int64, name: String, role: OperatorRole, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Why a token could not be created or revoked.
public struct OperatorTokenError: Error, CustomStringConvertible {
    public let description: String
}

extension OperatorRole {
    /// A role as a store keeps it.
    package init(stored: String) throws {
        guard let role = OperatorRole(rawValue: stored) else {
            throw OperatorTokenError(description: "unknown role '\(stored)' in the ledger")
        }
        self = role
    }
}

extension OperatorTokenError {
    package static func liveTokenExists(_ name: String) -> OperatorTokenError {
        OperatorTokenError(description: "'\(name)' already has a live token; revoke it first")
    }
}

extension AuditEvent {
    /// A token made: its number, name and role, never its secret.
    package static func tokenCreated(id: Int64, name: String, role: OperatorRole) -> AuditEvent {
        AuditEvent(actor: .system, action: .tokenCreated, details: ["token": "\(id)", "name": name, "role": role.rawValue])
    }

    package static func tokenRevoked(name: String) -> AuditEvent {
        AuditEvent(actor: .system, action: .tokenRevoked, details: ["name": name])
    }
}

extension Data {
    /// Base64 with the URL-safe alphabet and no padding.
    package var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
            of: "=", with: "")
    }
}
