//! The benchmarks of Redress and their tools, kept out of the product (the `redress-bench`
//! binary; `scripts/bench` runs the suite): a generator that writes complaints in bulk with
//! the domain's own event types (sealed with real customer keys), the page, report, SLA,
//! rebuild, command, intake, mail and survey wave benchmarks, each beside a baseline measured in the same
//! run, and the load of members of staff working complaints over HTTP ([`load`]), which the
//! crash tests also use.

mod commands;
mod generate;
mod intake;
pub mod load;
mod mail;
mod memory;
mod pages;
mod rebuild;
mod surveys;
mod timing;
mod webhooks;

pub use commands::{CommandRun, commands};
pub use generate::{Mix, generate, generate_mix};
pub use intake::intake;
pub use mail::mail;
pub use memory::peak_memory_line;
pub use pages::{pages, reports, sla};
pub use rebuild::{generate_only, rebuild};
pub use surveys::survey_wave;
pub use timing::Timing;
pub use webhooks::webhooks;

use generate::{fill, prepare};
use memory::status_kb;
use timing::{note, percentile, signed_in_server, table, time_page, time_page_with};

use std::net::TcpListener;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Duration as Span, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use redress_domain::{
    Actor, Channel, ComplaintChange, ComplaintEvent, CustomerEmail, Language, Outcome,
    PersonalDataVault, Priority, Reference, SealedCustomer, Tier,
};
use redress_store::{Database, Role, Store};

use redress::Settings;
