//! The `Complaint` aggregate of Redress: commands, events, state and the invariants of the
//! six-step method. This crate owns the rules; it does no I/O (no database, web, mail or
//! templates). Time and the sealing of personal data reach it through [`services`].
//!
//! # The six steps, and the order the aggregate enforces
//!
//! ```text
//!                 Receive
//!                    │
//!                    ▼
//!   ┌──────────── Received ────────────┐   any time until resolved:
//!   │  (1) Acknowledge (an apology)    │     (2) record the points of complaint
//!   ▼                                  │     record what the customer said
//! Acknowledged                         │     (5) name / change the owner
//!   │  (2) Points of complaint         │     change priority or category
//!   │  (3) Record fact, fact, ...      │   until closed: reply to the customer
//!   │  (3) Conclude investigation      │   any time: an internal note; record a
//!   ▼      (needs points and ≥ 1 fact) │     communication
//! Investigated                         │   after acknowledging, until resolved:
//!   │                                  │     (6) send a progress update
//!   │                                  │     wait on the customer ⇄ customer responded
//!   │  (4) Commit to action (date ≥ today; may be revised)
//!   ▼
//! Committed ── (5) owner named? ──► Resolve (each point upheld / partly / not upheld,
//!                                      │          with reasons; the outcome follows)
//!                                      │
//!                                      ▼
//!                                   Resolved ── Close ──► Closed
//!                                      ▲  │                 │
//!                                      │  └──── Reopen ◄────┘  (with a reason)
//!                                      │          │
//!                                      │          ▼
//!                                      └──── back to Acknowledged: facts, conclusion and
//!                                            commitment are done afresh; owner stays
//! ```
//!
//! - Acknowledgement comes first: facts, the conclusion, a commitment, updates, waiting on
//!   the customer and resolving all need it. Listening (recording what the customer says),
//!   naming an owner and triage (priority, category) may happen before it.
//! - Listening is done when the points of complaint are recorded: what we understood the
//!   customer to complain about, one short statement a point. A later record replaces them
//!   (until resolved), and they may be sent to the customer.
//! - The investigation is concluded only after the points are recorded and at least one fact,
//!   and no fact is recorded after it is concluded (reopen to investigate again).
//! - A commitment needs a concluded investigation; its date, and the next update's date, are
//!   today or later and not after the complaint is due to be resolved.
//! - Resolving decides each point (upheld, partly upheld or not upheld, with reasons); the
//!   complaint's outcome follows from them. A complaint recorded before points existed is
//!   decided as a whole.
//! - A reply to the customer is possible at any step until closure; an internal note at any
//!   time.
//! - Resolving needs an acknowledgement, a concluded investigation, a commitment and an owner.
//! - Nothing changes a resolved complaint but closing, reopening, satisfaction, recording a
//!   communication and erasure; nothing changes a closed one but reopening, satisfaction,
//!   recording a communication and erasure.
//! - Satisfaction is recorded once per resolution (score 1–5).
//! - After erasure of the customer's personal data nothing personal can be recorded.
//!
//! A refused command writes nothing and says what is missing, in words an agent understands
//! ([`ComplaintError`]).
//!
//! Personal data (name, email, phone, the customer's words and what they said on each
//! contact, survey comments, the points of complaint, replies, internal notes and file names)
//! travels in events only as [`Sealed`] values.
//!
//! Who may read each text (the customer, or staff only) is decided in [`audience`].

#![forbid(unsafe_code)]

pub mod aggregate;
pub mod audience;
pub mod calendar;
pub mod commands;
pub mod error;
pub mod events;
pub mod histogram;
pub mod mentions;
pub mod money;
pub mod placeholders;
pub mod points;
pub mod relations;
pub mod root_causes;
pub mod services;
pub mod sla;
pub mod sla_clock;
pub mod tags;
pub mod teams;
pub mod upcast;
pub mod values;

pub use aggregate::{ActionKind, Commitment, Complaint, MAX_FILES, Progress, Status, Step};
pub use audience::{Audience, CustomerEntry, Said, audience, customer_entry, for_customer};
pub use calendar::{BusinessCalendar, CalendarError};
pub use commands::{
    AttachmentMeta, ComplaintAction, ComplaintCommand, EmailDetails, NewComplaint, NewCustomer,
    RefusedAttachment,
};
pub use error::{ComplaintError, InvalidValue};
pub use events::{
    AttachedFile, ComplaintChange, ComplaintEvent, EVENT_VERSION, RefusedFile, SealedCustomer,
};
pub use histogram::Histogram;
pub use money::Currency;
pub use points::{PointDecision, overall_outcome, split_points};
pub use services::{
    Clock, ComplaintServices, ManualClock, PersonalDataVault, SystemClock, VaultError,
};
pub use sla::{
    Basis, ClockStatus, ComplaintSla, Preset, RunMeasure, SlaClock, SlaPolicy, Target, Transition,
    Unit,
};
pub use teams::{Routing, TeamRef};
pub use values::{
    Actor, Channel, CompanyId, CustomerEmail, CustomerId, Direction, Language, Outcome, Priority,
    Reference, Sealed, StaffMember, Tier,
};
