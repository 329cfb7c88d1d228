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
//!   │  (1) Acknowledge (an apology)    │     (2) record what the customer said
//!   ▼                                  │     (5) name / change the owner
//! Acknowledged                         │     change priority or category
//!   │  (3) Record fact, fact, ...      │     record a communication (even closed)
//!   │  (3) Conclude investigation      │   after acknowledging, until resolved:
//!   ▼      (needs ≥ 1 fact)            │     (6) send a progress update
//! Investigated                         │     wait on the customer ⇄ customer responded
//!   │  (4) Commit to action (date ≥ today; may be revised)
//!   ▼
//! Committed ── (5) owner named? ──► Resolve (upheld / partly / not upheld, with reasons)
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
//! - The investigation is concluded only after at least one fact is recorded, and no fact is
//!   recorded after it is concluded (reopen to investigate again).
//! - A commitment needs a concluded investigation, and its date is today or later.
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
//! contact, survey comments) travels in events only as [`Sealed`] values.

#![forbid(unsafe_code)]

pub mod aggregate;
pub mod calendar;
pub mod commands;
pub mod error;
pub mod events;
pub mod histogram;
pub mod services;
pub mod sla;
pub mod values;

pub use aggregate::{ActionKind, Commitment, Complaint, Progress, Status, Step};
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
pub use services::{
    Clock, ComplaintServices, ManualClock, PersonalDataVault, SystemClock, VaultError,
};
pub use sla::{
    Basis, ClockStatus, ComplaintSla, Preset, RunMeasure, SlaClock, SlaPolicy, Target, Transition,
    Unit,
};
pub use values::{
    Actor, Channel, CompanyId, CustomerEmail, CustomerId, Direction, Language, Outcome, Priority,
    Reference, Sealed, StaffMember, Tier,
};
