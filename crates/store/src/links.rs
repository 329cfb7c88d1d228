//! Signed, expiring links to a customer's status page: `REFERENCE.EXPIRY.SIGNATURE`, where the
//! signature is an HMAC-SHA256 (keyed with a secret every instance shares through the
//! database) of the reference and the expiry. A link names one complaint and opens nothing
//! else; a changed character or a passed expiry is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use redress_domain::Reference;
use sha2::Sha256;

/// How long a link in an email stays valid.
pub const LINK_LIFETIME: Duration = Duration::days(90);

/// Why a link does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The link is well made but too old; it names this complaint.
    #[error("this link has expired")]
    Expired(Reference),
    /// The link was changed, or is not ours.
    #[error("this link is not valid")]
    Invalid,
}

/// Makes and checks status links.
#[derive(Clone)]
pub struct StatusLinks {
    key: Vec<u8>,
}

impl std::fmt::Debug for StatusLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusLinks(..)")
    }
}

impl StatusLinks {
    /// Links signed with `key` (at least 32 bytes).
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn signature(&self, reference: &str, expires: i64) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(format!("status-link:{reference}:{expires}").as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The token of a link to `reference` valid until `expires`.
    pub fn token(&self, reference: &Reference, expires: DateTime<Utc>) -> String {
        let expires = expires.timestamp();
        let signature = URL_SAFE_NO_PAD.encode(self.signature(reference.as_str(), expires));
        format!("{}.{expires}.{signature}", reference.as_str())
    }

    /// The complaint a token opens at `now`.
    pub fn open(&self, token: &str, now: DateTime<Utc>) -> Result<Reference, LinkError> {
        let mut parts = token.splitn(3, '.');
        let (Some(reference), Some(expires), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Invalid);
        };
        let (reference_text, expires_text) = (reference, expires);
        let reference = Reference::parse(reference).map_err(|_| LinkError::Invalid)?;
        let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
        let given = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Invalid)?;
        // Only the link exactly as issued: not the reference in lower case, not the expiry
        // with leading zeros or a sign, not the signature spelt another way.
        if reference.as_str() != reference_text
            || expires.to_string() != expires_text
            || URL_SAFE_NO_PAD.encode(&given) != signature
        {
            return Err(LinkError::Invalid);
        }
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(format!("status-link:{}:{expires}", reference.as_str()).as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&given).map_err(|_| LinkError::Invalid)?;
        if now.timestamp() > expires {
            return Err(LinkError::Expired(reference));
        }
        Ok(reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_its_complaint_until_it_expires_and_not_when_changed() {
        let links = StatusLinks::new(vec![7; 32]);
        let reference = Reference::parse("RDR-7KX4-9PQM").unwrap();
        let now = Utc::now();
        let token = links.token(&reference, now + Duration::days(1));
        assert_eq!(links.open(&token, now), Ok(reference.clone()));
        assert_eq!(
            links.open(&token, now + Duration::days(2)),
            Err(LinkError::Expired(reference.clone()))
        );
        // Another complaint's reference, a later expiry, another key: refused.
        let other = token.replace("RDR-7KX4-9PQM", "RDR-7KX4-9PQN");
        assert_eq!(links.open(&other, now), Err(LinkError::Invalid));
        let (head, signature) = token.rsplit_once('.').unwrap();
        let (reference_part, expires) = head.split_once('.').unwrap();
        let later = format!(
            "{reference_part}.{}.{signature}",
            expires.parse::<i64>().unwrap() + 1
        );
        assert_eq!(links.open(&later, now), Err(LinkError::Invalid));
        assert_eq!(
            StatusLinks::new(vec![8; 32]).open(&token, now),
            Err(LinkError::Invalid)
        );
        // The same link spelt differently: only the exact one issued opens.
        let exact = |f: &dyn Fn(&str, &str, &str) -> String| f(reference_part, expires, signature);
        for variant in [
            exact(&|r, e, s| format!("{}.{e}.{s}", r.to_lowercase())),
            exact(&|r, e, s| format!("{r}.0{e}.{s}")),
            exact(&|r, e, s| format!("{r}.+{e}.{s}")),
            exact(&|r, e, s| format!("{r}.{e}.{s}=")),
        ] {
            assert_eq!(
                links.open(&variant, now),
                Err(LinkError::Invalid),
                "{variant}"
            );
        }
        for junk in ["", "RDR-7KX4-9PQM", "a.b.c", "RDR-7KX4-9PQM.x.y"] {
            assert_eq!(links.open(junk, now), Err(LinkError::Invalid), "{junk}");
        }
    }
}
