//! Test support for Redress, used only as a dev-dependency (and by the benchmarks): a fresh
//! database per test on either backend ([`TestDb`], [`on_both_backends!`]) and a throwaway
//! Dovecot IMAP server ([`dovecot`]). Nothing here ships in the `redress` binary.

#![forbid(unsafe_code)]

mod db;
pub mod dovecot;

pub use db::*;
