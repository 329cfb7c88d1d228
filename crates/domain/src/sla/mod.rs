//! SLA policies and clocks: how long each step of the method may take, counted in business or
//! calendar time, and the clocks that hold staff to it — derived from a complaint's events
//! alone, so every start, pause, resume, fulfilment and breach can be explained.
//!
//! # The clocks and their rules
//!
//! | Clock | Starts | Pauses while waiting on the customer | Met when |
//! |---|---|---|---|
//! | Acknowledge (step 1) | on receipt | no (it is always met first) | the apology is sent |
//! | Owner (step 5) | on receipt | no (naming an owner needs nothing from the customer) | an owner is named |
//! | Commit (step 4) | on receipt; afresh on reopening | yes | an action is committed to |
//! | Update (step 6) | on acknowledgement; afresh after every update | yes | the customer is told how things stand (a progress update, an outbound communication, a request to them, the outcome) |
//! | Resolve | on receipt; afresh on reopening | yes | the complaint is resolved |
//! | Promise (the next update's date) | with each progress update, due at the end of the date it gives for the next one | no | the next message to the customer (an update, a reply, a request, the points sent, the outcome) |
//! | Action (the commitment's date) | when an action is committed to, due at the end of its "done by" date; afresh on a new commitment | no | the complaint is resolved (a new commitment ends the run before it, unmet) |
//!
//! The last two are promises made to the customer: their due times are the dates we gave, not
//! a policy's targets, and they breach like the others (alerts, causes, dashboard, reports).
//!
//! - A clock is **breached** at its due time if it is not met by then; the breach is recorded
//!   at the due time (not when someone notices), stays recorded when the clock is met late,
//!   and the owner is asked to record its cause.
//! - A clock is **at risk** once less than the policy's at-risk share of its allowance is left.
//! - **Pauses**: `WaitingOnCustomer` pauses the clocks marked above; `CustomerResponded`
//!   resumes them with the time they had left. Time paused never counts.
//! - **Priority changes** re-target every clock not yet met, measured from its start (a breach
//!   already recorded stays recorded); a clock left with no time falls due at the change.
//! - A complaint keeps the policy version it was received under, and the tier its company had
//!   then; later policy edits apply to new complaints only.
//! - **Targets** are written `4 business hours`, `3 business days`, `8 weeks`, `15 days`,
//!   `30 minutes`. Business minutes and hours count only the calendar's working time. `n
//!   business days` ends at the close of business on the n-th working day *after* the day the
//!   clock starts (the UK FCA's "by close of business on the third business day following the
//!   day on which it is received"); a business week is five business days. Calendar `n days`
//!   (or weeks) ends at midnight, in the calendar's time zone, at the end of the n-th day after
//!   the day the clock starts; calendar minutes and hours are plain elapsed time.
//!
//! Every function takes the time as a parameter; nothing here reads a clock.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, CalendarError};
use crate::error::InvalidValue;
use crate::events::{ComplaintChange, ComplaintEvent};
use crate::values::{Direction, Priority, StaffMember, Tier};

mod policy;
mod state;
mod target;

pub use crate::sla_clock::SlaClock;
pub use policy::*;
pub use state::*;
pub use target::*;
