//! Value objects, parsed once at the edge and trusted after.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::InvalidValue;

/// The reference a customer quotes: `RDR-` and eight Crockford base-32 characters in two
/// groups, e.g. `RDR-7KX4-9PQM`. It is also the complaint's aggregate id.
///
/// Crockford's alphabet leaves out I, L, O and U, so a reference read over the phone cannot be
/// mistaken; [`Reference::parse`] accepts lower case, missing dashes and the look-alikes
/// (O for 0, I and L for 1) the way a person might type them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference(String);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Reference {
    /// A new random reference (40 bits: a collision is detected by the event store and retried).
    pub fn generate(rng: &mut impl Rng) -> Self {
        let chars: String = (0..8)
            .map(|_| CROCKFORD[rng.gen_range(0..32)] as char)
            .collect();
        Self(format!("RDR-{}-{}", &chars[..4], &chars[4..]))
    }

    /// Reads a reference as a customer or agent might type it.
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        let mut body: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if let Some(rest) = body.strip_prefix("RDR") {
            body = rest.to_string();
        }
        let normalised: Option<String> = body
            .chars()
            .map(|c| match c {
                'O' => Some('0'),
                'I' | 'L' => Some('1'),
                c if CROCKFORD.contains(&(c as u8)) && c.is_ascii() => Some(c),
                _ => None,
            })
            .collect();
        match normalised {
            Some(chars) if chars.len() == 8 => {
                Ok(Self(format!("RDR-{}-{}", &chars[..4], &chars[4..])))
            }
            _ => Err(InvalidValue::Reference(input.chars().take(40).collect())),
        }
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Reference {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Reference> for String {
    fn from(value: Reference) -> Self {
        value.0
    }
}

/// A customer's email address, checked for shape (one `@`, a dotted domain, no spaces or
/// control characters) and lower-cased in its domain part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerEmail(String);

impl CustomerEmail {
    /// The longest address SMTP allows (RFC 5321).
    pub const MAX_LEN: usize = 254;

    /// Checks an address typed by a person.
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        let trimmed = input.trim();
        let invalid = || InvalidValue::Email(trimmed.chars().take(80).collect());
        if trimmed.len() > Self::MAX_LEN
            || trimmed
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        // A host name we can send to: dotted labels of letters, digits and hyphens, the last
        // with a letter in it. Not an address literal (`[127.0.0.1]`) nor a bare IP address:
        // mail to those cannot be relied on, and our mail server refuses to build it.
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let domain_ok = domain.contains('.')
            && domain.split('.').all(label_ok)
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.chars().any(char::is_alphabetic));
        // The local part as a dot-atom (RFC 5322, with UTF-8 as RFC 6531 allows): no quoted
        // strings, no brackets, no leading, trailing or double dots.
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !local_ok || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as used to recognise the same customer again: all lower case.
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for CustomerEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $error:ident, { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable code used in URLs, forms and database columns.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// A label for people (English; templates translate it).
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Every value as `(code, label)`, in display order: a form's choices.
            pub fn options() -> Vec<(&'static str, &'static str)> {
                Self::ALL.iter().map(|v| (v.code(), v.label())).collect()
            }

            /// Parses a code (case-insensitive).
            pub fn parse(input: &str) -> Result<Self, InvalidValue> {
                let lower = input.trim().to_ascii_lowercase();
                match lower.as_str() {
                    $($code => Ok($name::$variant),)+
                    _ => Err(InvalidValue::$error(input.chars().take(40).collect())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

text_enum!(
    /// The language a customer is written to in.
    Language, Language, {
        /// English.
        En = "en", "English";
        /// Spanish.
        Es = "es", "Español";
        /// Romanian.
        Ro = "ro", "Română";
        /// Chinese (simplified).
        Zh = "zh", "中文";
    }
);

text_enum!(
    /// How the complaint reached us.
    Channel, Channel, {
        /// The public web form.
        WebForm = "web_form", "Web form";
        /// An email to the complaints address.
        Email = "email", "Email";
        /// A phone call, entered by staff.
        Phone = "phone", "Phone";
        /// In person, entered by staff.
        InPerson = "in_person", "In person";
        /// Another system, through the API.
        Api = "api", "API";
        /// Opened by Redress itself after a low score in a survey (service recovery).
        Survey = "survey", "Survey";
    }
);

text_enum!(
    /// How urgently the complaint must be handled; SLA targets depend on it.
    Priority, Priority, {
        /// Can wait behind others.
        Low = "low", "Low";
        /// The usual.
        Normal = "normal", "Normal";
        /// Ahead of the usual.
        High = "high", "High";
        /// Drop everything.
        Urgent = "urgent", "Urgent";
    }
);

text_enum!(
    /// How much of the business a customer's company brings: key accounts get tighter SLA
    /// targets. A complaint keeps the tier its company had when it arrived.
    #[derive(Default)]
    Tier, Tier, {
        /// Most customers.
        #[default]
        Standard = "standard", "Standard";
        /// The customers who bring most of the business.
        KeyAccount = "key_account", "Key account";
    }
);

text_enum!(
    /// The decision on a complaint: the customer is not always right, and the reasons say why.
    Outcome, Outcome, {
        /// The customer was right.
        Upheld = "upheld", "Upheld";
        /// The customer was right in part.
        PartlyUpheld = "partly_upheld", "Partly upheld";
        /// The complaint was not upheld.
        NotUpheld = "not_upheld", "Not upheld";
    }
);

text_enum!(
    /// Which way a communication went.
    Direction, Direction, {
        /// From the customer to us.
        Inbound = "inbound", "From the customer";
        /// From us to the customer.
        Outbound = "outbound", "To the customer";
    }
);

/// A member of staff, as recorded in events: their name stays with their past actions even
/// after their account is deactivated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// The staff account's id.
    pub id: Uuid,
    /// Their display name at the time.
    pub name: String,
}

/// A team, as events name it: its id, and its name at the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRef {
    /// The team's id.
    pub id: Uuid,
    /// Its name at the time.
    pub name: String,
}

/// Who did something to a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Actor {
    /// A member of staff.
    Staff(StaffMember),
    /// The customer themselves (web form, status page, email, survey).
    Customer,
    /// Redress itself (imports, scheduled jobs, integrations without a person).
    System {
        /// What part of the system acted, e.g. `api`, `retention`.
        name: String,
    },
}

impl Actor {
    /// A short name for timelines.
    pub fn display_name(&self) -> &str {
        match self {
            Actor::Staff(staff) => &staff.name,
            Actor::Customer => "Customer",
            Actor::System { name } => name,
        }
    }
}

/// Identifies a customer, and with it the key their personal data is sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CustomerId(pub Uuid);

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Identifies a company's file. Derived from the company's name as people write it, so
/// "ACME  Ltd" and "Acme Ltd" are one company, and every instance derives the same id
/// without a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CompanyId(pub Uuid);

impl CompanyId {
    /// Namespace of company ids (UUID version 5).
    const NAMESPACE: Uuid = Uuid::from_u128(0x6f0c_1e1a_5d2b_4c47_9a0e_8a3f_2b7d_c411);

    /// The id of the company called `name` (case, surrounding and repeated spaces ignored).
    pub fn for_name(name: &str) -> Self {
        CompanyId(Uuid::new_v5(
            &Self::NAMESPACE,
            Self::normalise(name).as_bytes(),
        ))
    }

    /// The name as compared: lower case, single spaces, no surrounding space.
    pub fn normalise(name: &str) -> String {
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }
}

impl fmt::Display for CompanyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Personal data sealed with its customer's key. The domain never looks inside: it only
/// stores and passes it on. Opening happens at the edges, and fails for good once the
/// customer's key has been erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_reference_parses_back_to_itself() {
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let reference = Reference::generate(&mut rng);
            assert_eq!(Reference::parse(reference.as_str()), Ok(reference.clone()));
            assert_eq!(reference.as_str().len(), 13);
        }
    }

    #[test]
    fn a_reference_typed_carelessly_is_still_understood() {
        let expected = Reference::parse("RDR-0K1X-9PQM").unwrap();
        assert_eq!(Reference::parse("rdr 0k1x 9pqm"), Ok(expected.clone()));
        assert_eq!(Reference::parse("OKlX9PQM"), Ok(expected.clone()));
        assert_eq!(Reference::parse(" rdr-oKiX-9pqm "), Ok(expected));
    }

    #[test]
    fn a_malformed_reference_is_refused() {
        for bad in ["", "RDR-123", "RDR-1234-56789", "RDR-1234-567U", "☃☃☃☃☃☃☃☃"] {
            assert!(Reference::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn plausible_email_addresses_are_accepted_and_their_domain_lower_cased() {
        let email = CustomerEmail::parse(" Ana.Pop@Example.RO ").unwrap();
        assert_eq!(email.as_str(), "Ana.Pop@example.ro");
        assert_eq!(email.normalised(), "ana.pop@example.ro");
        assert!(CustomerEmail::parse("李@例子.中国").is_ok());
        for good in [
            "o'brien@example.ie",
            "ana+refunds@example.com",
            "a@sub-1.example.co.uk",
        ] {
            assert!(CustomerEmail::parse(good).is_ok(), "{good:?} was refused");
        }
    }

    #[test]
    fn malformed_email_addresses_are_refused() {
        for bad in [
            "",
            "plainaddress",
            "@example.com",
            "ana@",
            "ana@localhost",
            "ana@example..com",
            "ana@.example.com",
            "ana pop@example.com",
            "ana@example.com\r\nBcc: x@y.z",
            "a@b@example.com",
            "<ana@example.com>",
            // Addresses no email can be built for, or relied on.
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "a@[IPv6:::1]",
            "\"ana pop\"@example.com",
            ".ana@example.com",
            "ana.@example.com",
            "an..a@example.com",
            "ana(comment)@example.com",
            "ana@exa_mple.com",
        ] {
            assert!(CustomerEmail::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(CustomerEmail::parse(&long).is_err());
    }

    #[test]
    fn languages_outside_the_four_supported_are_refused_with_the_code_given() {
        assert_eq!(Language::parse("RO"), Ok(Language::Ro));
        let error = Language::parse("fr").unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"fr\" is not a supported language; choose one of en, es, ro, zh."
        );
    }
}
