import Foundation
import RightsStorage
import Testing

/// The validators discovery judges sampled values with: each accepts the real form and refuses
/// a near miss.
@Suite("Personal value validators")
struct PersonalValueTests {
    static let today = ISO8601DateFormatter().date(from: "2026-12-07T00:00:00Z") ?? Date()

    @Test("Email addresses by RFC 5321's shape")
    func emails() {
        #expect(PersonalValue.isEmail("wang.fang+news@mail.example.cn"))
        for wrong in ["wang.fang@", "@example.com", "wang..fang@example.com", "wang@example", "wang@-example.com", "wang fang@example.com"]
        {
            #expect(!PersonalValue.isEmail(wrong), "\(wrong)")
        }
    }

    @Test("Phone numbers: E.164, and mainland mobiles with or without +86")
    func phones() {
        #expect(PersonalValue.isE164("+44 7700 900123"))
        #expect(!PersonalValue.isE164("+0 7700 900123"), "a country code never starts with 0")
        #expect(!PersonalValue.isE164("+44 77"), "too short")
        #expect(PersonalValue.isMainlandMobile("13800138000"))
        #expect(PersonalValue.isMainlandMobile("+86 138-0013-8000"))
        #expect(!PersonalValue.isMainlandMobile("12800138000"), "no mobile range starts 12")
        #expect(!PersonalValue.isMainlandMobile("1380013800"), "ten digits")
    }

    @Test("Resident identity numbers need their ISO 7064 check character and a real birth date")
    func residentIdentityNumbers() {
        #expect(PersonalValue.isResidentIdentityNumber("11010519491231002X"))
        #expect(!PersonalValue.isResidentIdentityNumber("110105194912310021"), "wrong check character")
        #expect(!PersonalValue.isResidentIdentityNumber("110105194913310026"), "month 13")
    }

    @Test("Card numbers by Luhn")
    func cards() {
        #expect(PersonalValue.isCardNumber("4111 1111 1111 1111"))
        #expect(!PersonalValue.isCardNumber("4111 1111 1111 1112"), "Luhn fails")
        #expect(!PersonalValue.isCardNumber("0000000000000000"), "no issuer starts 0")
    }

    @Test("IP addresses of both families; dates of birth only in a living person's range")
    func addressesAndBirthDates() {
        #expect(PersonalValue.isIPAddress("203.0.113.7"))
        #expect(PersonalValue.isIPAddress("2001:db8::1"))
        #expect(!PersonalValue.isIPAddress("999.1.1.1"))
        #expect(!PersonalValue.isIPAddress("1.2"))
        #expect(PersonalValue.isDateOfBirth("1987-04-12", today: Self.today))
        #expect(PersonalValue.isDateOfBirth("19870412", today: Self.today))
        #expect(!PersonalValue.isDateOfBirth("1890-04-12", today: Self.today), "over 120 years")
        #expect(!PersonalValue.isDateOfBirth("2024-04-12", today: Self.today), "under 10 years")
        #expect(!PersonalValue.isDateOfBirth("1987-02-30", today: Self.today), "no such day")
    }

    @Test("Inside JSON documents and free text, every field and token is checked")
    func documentsAndText() {
        let document = #"{"profile": {"contact": ["13800138000"], "ip": "203.0.113.7"}, "theme": "dark"}"#
        #expect(PersonalValue.kinds(within: document, today: Self.today) == [.mainlandMobile, .ipAddress])
        #expect(PersonalValue.kinds(within: "please call me on 13800138000 after six", today: Self.today) == [.mainlandMobile])
        #expect(PersonalValue.kinds(within: "delivery was late, box broken, refund please", today: Self.today).isEmpty)
        #expect(PersonalValue.kinds(within: "born 1987-04-12 in Leeds", today: Self.today).isEmpty, "a date in prose is no birth date")
    }
}
