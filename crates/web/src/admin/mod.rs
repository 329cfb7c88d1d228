//! The admins' pages, under `/admin`, one module per address: staff accounts (`users`), API
//! tokens, saved replies, the email outbox (`mail`), the email intake, the audit trail, the
//! retention of personal data and the periodic surveys' rules. The SLA policy editor
//! (`/admin/sla`) lives with the SLA pages in [`crate::sla::policy`], and an admin's reset of a
//! password with the others in [`crate::passwords`].

pub mod api_tokens;
pub mod audit;
pub mod intake;
pub mod mail;
pub mod retention;
pub mod saved_replies;
pub mod surveys;
pub mod users;
pub mod webhooks;
