//! Customer emails: the policy (which email an event owes, and its `Message-ID`), rendering
//! in the customer's language (tera + Fluent, from `templates/emails/`) and the sender that
//! drains the outbox over SMTP with retries.
//!
//! The outbox table itself (the projector that fills it, asking [`Policy`], and the queries
//! that claim its rows) lives in `redress-store`, which owns every SQL statement.

#![forbid(unsafe_code)]

mod drain;
pub mod message;
pub mod policy;
pub mod render;
pub mod sender;
pub mod settings;
pub mod transport;
pub mod webhooks;

pub use message::build_message;
pub use policy::Policy;
pub use render::{EmailView, Emails, RenderError, Rendered, Sender};
pub use sender::Mailer;
pub use settings::MailSettings;
pub use transport::{SendError, Transport};

/// A mail address with an optional name (re-exported from lettre for settings checks).
pub use lettre::message::Mailbox;
