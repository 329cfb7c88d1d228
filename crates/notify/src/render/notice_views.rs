//! What the staff emails about no complaint show: a webhook endpoint switched off, a meeting
//! with a key account due.

use redress_domain::Language;
use serde::Serialize;

/// What the email telling an admin that a webhook endpoint was switched off shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WebhookOffView {
    /// Language code (`en` unless the recipient chose another).
    pub lang: String,
    /// The subject.
    pub subject: String,
    /// Who it goes to.
    pub to_name: String,
    /// The endpoint's address.
    pub url: String,
    /// Why it was switched off.
    pub reason: String,
    /// Its page (its log, and the switch to turn it back on).
    pub link: String,
    /// The organisation.
    pub organisation: String,
}

impl WebhookOffView {
    /// The sample in `lang`, to check the templates with.
    pub fn sample_in(lang: Language) -> Self {
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Ada Admin".into(),
            url: "https://crm.example.com/hooks/redress".into(),
            reason: "Switched off after 10 failed attempts in a row; the last: The endpoint \
                     answered 503 Service Unavailable."
                .into(),
            link: "https://redress.example/admin/webhooks/5b0c".into(),
            organisation: "Example Ltd".into(),
        }
    }
}

/// What the email reminding an account's owner that a meeting is due shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MeetingDueView {
    /// Language code (`en` unless the recipient chose another).
    pub lang: String,
    /// The subject.
    pub subject: String,
    /// Who it goes to.
    pub to_name: String,
    /// The company.
    pub company: String,
    /// The day the meeting was due, written out.
    pub due: String,
    /// What was agreed at the last meeting (empty: nothing, or erased).
    pub agreed: String,
    /// The company's file.
    pub link: String,
    /// The organisation.
    pub organisation: String,
}

impl MeetingDueView {
    /// The sample in `lang`, to check the templates with.
    pub fn sample_in(lang: Language) -> Self {
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Mia Manager".into(),
            company: "Acme Freight Ltd".into(),
            due: "2026-12-01".into(),
            agreed: "Quarterly review of the delivery complaints; a named contact for billing."
                .into(),
            link: "https://redress.example/companies/5b0c".into(),
            organisation: "Example Ltd".into(),
        }
    }
}
