import Foundation
import HTTPTypes

/// Who the client is, told apart from the proxies in front of the server: the TCP peer, unless
/// the peer is one of `server.trusted_proxies`, in which case the forwarding headers are read
/// from the nearest hop outwards and the first address that is not a trusted proxy is the
/// client. A header from anyone else is ignored, so a client cannot forge its way into
/// another's allowance (RFC 7239; `X-Forwarded-For` where `Forwarded` is absent).
struct ForwardedClient: Sendable {
    let trustedProxies: [AddressBlock]

    func client(peer: String, headers: HTTPFields) -> String {
        guard let peerAddress = ClientAddress(peer) else { return peer }
        guard trusted(peerAddress) else { return peerAddress.rateKey }
        for hop in Self.hops(in: headers).reversed() {
            guard let address = ClientAddress(hop) else { return peerAddress.rateKey }  // `unknown` or an obfuscated name
            if !trusted(address) { return address.rateKey }
        }
        return peerAddress.rateKey
    }

    private static let forwardedName = HTTPField.Name("Forwarded")
    private static let forwardedForName = HTTPField.Name("X-Forwarded-For")

    private func trusted(_ address: ClientAddress) -> Bool { trustedProxies.contains { $0.contains(address) } }

    /// The addresses the request passed through, the client first, from `Forwarded`'s `for=`
    /// parameters or else `X-Forwarded-For`.
    static func hops(in headers: HTTPFields) -> [String] {
        let forwarded = forwardedName.map { headers[values: $0] } ?? []
        if !forwarded.isEmpty {
            return forwarded.flatMap { $0.split(separator: ",") }.compactMap { element in
                element.split(separator: ";").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.lowercased().hasPrefix("for=") }
                    .map { String($0.dropFirst(4)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            }
        }
        let forwardedFor = forwardedForName.map { headers[values: $0] } ?? []
        return forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
