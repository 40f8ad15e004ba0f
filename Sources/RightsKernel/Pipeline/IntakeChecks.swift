extension RequestPipeline {
    /// Intake validation before anything is recorded: the subject's identity kind is one the
    /// data map declares (or the module names), every identity is normalised and shaped for its
    /// kind, no text carries control, line-break or bidirectional characters or exceeds its cap,
    /// and only the parameters the module declares are accepted.
    func checked(_ intake: RequestIntake, module: any RightModule.Type) throws(IntakeError) -> RequestIntake {
        var checked = intake
        let kinds = module.subjectKinds ?? deployment.identityKinds
        guard kinds.contains(intake.subject.kind) else {
            throw IntakeError(
                field: "subject",
                "unknown identity kind; '\(intake.right)' requests name the subject by \(kinds.sorted().joined(separator: ", "))")
        }
        checked.subject = try intake.subject.checked(field: "subject")
        switch (intake.requester, intake.contact) {
        case (.subject, .some):
            throw IntakeError(
                field: "contact",
                "a subject is reached only at their own contact on file; a contact is given by an agent, guardian or close relative filing for the subject"
            )
        case (.agent, nil) where intake.channel != nil:
            // An agent filing through an open standard hears of each change there (its status
            // endpoint and callbacks), so it needs no contact of its own.
            break
        case (.agent, nil), (.guardian, nil), (.closeRelative, nil):
            throw IntakeError(field: "contact", "a \(intake.requester.rawValue) gives their own email or phone for updates and the outcome")
        case (_, .some(let contact)):
            guard contact.isContact else { throw IntakeError(field: "contact", "expected an email or a phone number") }
            checked.contact = try contact.checked(field: "contact")
        default:
            break
        }
        if let reference = intake.requesterReference {
            try IntakeText.check(reference, field: "requester_reference", maxLength: 200)
        }
        let declared = Dictionary(module.parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, value) in intake.parameters.sorted(by: { $0.key < $1.key }) {
            guard let parameter = declared[name] else {
                let isPlain = name.count <= 40 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                let known = declared.keys.sorted()
                let accepted = known.isEmpty ? "no parameters" : "only \(known.joined(separator: ", "))"
                throw IntakeError(field: isPlain ? name : "parameters", "unknown parameter; '\(intake.right)' accepts \(accepted)")
            }
            try IntakeText.check(value, field: name, maxLength: parameter.freeText ? 2_000 : 200)
            if !parameter.freeText, !value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._,:+-".contains($0)) }) {
                throw IntakeError(field: name, "expected letters, digits and . _ , : + - only")
            }
        }
        return checked
    }
}

extension Deployment {
    /// The identity kinds requests may name subjects by: those the data map links rows by, or
    /// email, phone and user id without a data map.
    public var identityKinds: Set<String> {
        guard let map = settings.dataMap else { return ["email", "phone", "user_id"] }
        return map.identityKinds
    }
}

extension DataMap {
    /// Every identity kind some table links its rows by.
    public var identityKinds: Set<String> {
        var kinds: Set<String> = []
        for source in sources {
            for table in source.tables {
                if case .identities(let columns) = table.link { kinds.formUnion(columns.keys) }
            }
        }
        return kinds
    }
}

extension RequesterRole {
    /// A guardian (of a minor) or a close relative (of the deceased) speaks for a subject who
    /// cannot answer a code: an operator reviews their proofs instead.
    public var speaksForAbsentSubject: Bool { self == .guardian || self == .closeRelative }
}
