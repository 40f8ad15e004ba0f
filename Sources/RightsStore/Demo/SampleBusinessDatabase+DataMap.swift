extension SampleBusinessDatabase {
    /// The data map of the sample database, as YAML under `data_map:` (indented by two spaces),
    /// with the database and vault at the given paths. `config.yaml` carries the same map.
    public static func dataMap(database: String, vault: String) -> String {
        """
          vault: \(vault)
          sources:
            business:
              driver: sqlite
              path: \(database)
              consent_registry: { table: consents, purpose_column: purpose, withdrawn_column: withdrawn_at }
              tables:
                accounts:
                  key: id
                  identities: { user_id: user_id, email: email, phone: phone }
                  cancelled: { column: status, value: cancelled }   # how the host application sees a cancelled account
                  fields:
                    user_id: { category: user.account.id, erase: hmac }
                    email: { category: user.contact.email, correctable: true, erase: hmac }
                    phone: { category: user.contact.phone, correctable: true, erase: null }
                    display_name: { category: user.account.nickname, correctable: true, erase: { fixed: Deleted user } }
                    address: { category: user.contact.address, correctable: true, erase: null }
                    real_name: { category: user.identity.real_name, correct_at: the website where the original account was registered, erase: hmac }
                    id_number: { category: user.identity.government_id, correct_at: the website where the original account was registered, erase: encrypt }
                third_party_logins:
                  link: { column: account_id, references: accounts.id }
                  fields:
                    provider: { category: user.account.third_party, erase: delete-row }
                    external_id: { category: user.account.third_party, erase: delete-row }
                login_devices:
                  link: { column: account_id, references: accounts.id }
                  fields:
                    device_name: { category: user.device, erase: delete-row }
                    ip_address: { category: user.device.ip_address, erase: delete-row }
                orders:
                  link: { column: account_id, references: accounts.id }
                  product_column: product
                  retention: { basis: E-Commerce Law Art. 31, years: 3, from: created_at }
                  fields:
                    order_no: { category: user.financial.order, erase: delete-row }
                    product: { category: user.financial.order, erase: delete-row }
                    amount_cents: { category: user.financial.order, erase: delete-row }
                transactions:
                  link: { column: order_id, references: orders.id }
                  retention: { basis: E-Commerce Law Art. 31, years: 3, from: paid_at }
                  fields:
                    paid_at: { category: user.financial.transaction, erase: delete-row }
                    amount_cents: { category: user.financial.transaction, erase: delete-row }
                    payment_method: { category: user.financial.transaction, erase: delete-row }
                    card_last4: { category: user.financial.card, erase: null }
                activated_services:
                  link: { column: account_id, references: accounts.id }
                  product_column: product
                  fields:
                    product: { category: user.service.activated, erase: delete-row }
                    activated_at: { category: user.service.activated, erase: delete-row }
                consents:
                  link: { column: account_id, references: accounts.id }
                  fields:
                    purpose: { category: user.consent, erase: delete-row }
                    granted_at: { category: user.consent, erase: delete-row }
                    withdrawn_at: { category: user.consent, erase: delete-row }
                support_tickets:
                  identities: { email: contact_email }
                  fields:
                    contact_email: { category: user.contact.email, erase: hmac }
                    subject_line: { category: user.support, erase: delete-row }
                    body: { category: user.support, erase: delete-row }
        """
    }
}
