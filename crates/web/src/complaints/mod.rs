//! One complaint, and the ways staff work it: its page ([`page`]), the timeline and steps it
//! shows ([`timeline`]), the forms of the method's actions ([`actions`]) and the queue's bulk actions ([`bulk`]), the conversation
//! with the customer (replies, internal notes, saved replies: [`conversation`]), the emails
//! as they were sent ([`emails`]), and the form staff take a complaint on ([`new`]).

pub(crate) mod actions;
pub(crate) mod bulk;
pub(crate) mod conversation;
pub(crate) mod emails;
pub(crate) mod new;
pub(crate) mod page;
pub mod queue;
pub(crate) mod related;
pub(crate) mod sla_view;
pub(crate) mod steps;
pub(crate) mod timeline;

pub(crate) use actions::{act, record_cause};
pub(crate) use conversation::mentioned;
pub(crate) use new::{Intake, create, field_of, new_form};
pub(crate) use page::{load, parse_moment, show};
pub(crate) use timeline::{
    Opener, TimelineEntry, communication_direction, opener_for, timeline, timeline_entry,
};
