#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A client's IP address as bytes (4 for IPv4, 16 for IPv6), parsed strictly; an IPv4 address
/// written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address.
struct ClientAddress: Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    init?(_ text: some StringProtocol) {
        var text = String(text)
        // `Forwarded` writes IPv6 in brackets and may add a port; `X-Forwarded-For` is bare.
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<end])
        } else if text.contains("."), text.filter({ $0 == ":" }).count == 1, let port = text.firstIndex(of: ":") {
            text = String(text[..<port])  // an IPv4 address with a port
        }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            let all = withUnsafeBytes(of: &v6) { Array($0) }
            bytes = all[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] ? Array(all[12...]) : all
        } else {
            return nil
        }
    }

    var isIPv6: Bool { bytes.count == 16 }

    /// What rate limits count: the address itself for IPv4; for IPv6 its /64, the block one
    /// subscriber is given, so rotating through it gains nothing.
    var rateKey: String {
        guard isIPv6 else { return description }
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(
            separator: ":")
            + "::/64"
    }

    var description: String {
        if !isIPv6 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(
            separator: ":")
    }
}

/// An address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`, a bare address is its own block).
struct AddressBlock: Hashable, Sendable, CustomStringConvertible {
    let network: ClientAddress
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let network = ClientAddress(parts[0]) else { return nil }
        let bits = network.bytes.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            // An IPv4 block written in IPv6 form counts its prefix from the IPv4 part.
            self.prefix = network.isIPv6 || !parts[0].contains(":") ? prefix : prefix - 96
            guard self.prefix >= 0 else { return nil }
        } else {
            prefix = bits
        }
        self.network = network
    }

    func contains(_ address: ClientAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefix
        for (mine, theirs) in zip(network.bytes, address.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            guard mine & mask == theirs & mask else { return false }
            remaining -= 8
        }
        return true
    }

    var description: String { "\(network)/\(prefix)" }
}
