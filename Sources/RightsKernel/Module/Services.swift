public import Foundation
public import Logging

/// The shared services a module receives at construction; tests swap any of them.
public struct Services: Sendable {
    /// Requests, their state and their step journal.
    public var ledger: any RequestLedger
    /// Where the organisation's personal data lives.
    public var data: any PersonalDataService
    /// The append-only, hash-chained audit log.
    public var audit: any AuditLog
    /// Legal holds and other exception grounds (clause 5.11).
    public var exceptions: any ExceptionChecks
    /// Identity verification before processing (clause 5.10).
    public var identity: any IdentityVerifier
    /// Outbound messages to subjects and requesters.
    public var notifier: any Notifier
    /// Requests to other organisations, each module limited to the origins it allows.
    public var http: any OutboundHTTP
    /// The files a subject's data is written into (JSON, CSV, ZIP).
    public var exports: any ExportFormats
    /// The time, settable in tests.
    public var clock: any WallClock
    /// The deployment's timezone: bare dates are local dates here, and calendar periods count
    /// by its calendar.
    public var timeZone: TimeZone
    public var logger: Logger
    /// The deployment's wording, in every language it serves: the kernel's messages, each enabled
    /// module's texts and the deployment's own, set when the deployment loads.
    public var texts: TextCatalogue = .standard

    public init(
        ledger: any RequestLedger,
        data: any PersonalDataService,
        audit: any AuditLog,
        exceptions: any ExceptionChecks,
        identity: any IdentityVerifier,
        notifier: any Notifier,
        clock: any WallClock,
        http: any OutboundHTTP = NoOutboundHTTP(),
        exports: any ExportFormats = NoExportFormats(),
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current,
        logger: Logger
    ) {
        self.ledger = ledger
        self.data = data
        self.audit = audit
        self.exceptions = exceptions
        self.identity = identity
        self.notifier = notifier
        self.clock = clock
        self.http = http
        self.exports = exports
        self.timeZone = timeZone
        self.logger = logger
    }
}
