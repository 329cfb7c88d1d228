//! What the sender and the messages it builds need to know: the From address and domain,
//! attempts and backoff, the organisation's words, the batch and the lease.

use std::time::Duration;

use crate::render::Sender;

/// The mail settings the sender needs.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The From address, e.g. `Complaints <complaints@example.com>`.
    pub from: String,
    /// Message-IDs end in `@domain`.
    pub domain: String,
    /// Attempts before a message is dead.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles (at most six hours).
    pub retry_base: Duration,
    /// The organisation and its ombudsman.
    pub sender: Sender,
    /// Messages claimed at once.
    pub batch: i64,
    /// How long a claim lasts before another sender may take the message.
    pub lease: Duration,
    /// Where customers reach Redress (status links start with it), e.g. `https://complaints.example.com`.
    pub public_url: String,
}

impl MailSettings {
    /// The domain of an address like `Name <local@domain>`.
    pub fn domain_of(from: &str) -> Option<String> {
        let address = from
            .rsplit_once('<')
            .map(|(_, a)| a.trim_end_matches('>'))
            .unwrap_or(from);
        address
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_lowercase())
            .filter(|d| !d.is_empty())
    }
}
