//! The five clocks (and the two promise clocks): their names, codes and rules. A module of
//! its own, importing nothing of the crate, so that the events (which name a clock) and the
//! SLA rules (which read the events) both use it without importing each other.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the five clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaClock {
    /// Time to acknowledge (step 1).
    Acknowledge,
    /// Time to name an owner (step 5).
    Owner,
    /// Time to commit to an action (step 4).
    Commit,
    /// The longest gap between updates to the customer (step 6).
    Update,
    /// Time to resolve.
    Resolve,
    /// The date we promised the next update by (a progress update's "next update by").
    Promise,
    /// The date we committed to do the action by (step 4's "done by").
    Action,
}

impl SlaClock {
    /// Every clock, in the order of the method's steps as staff meet them, then the promises.
    pub const ALL: [SlaClock; 7] = [
        SlaClock::Acknowledge,
        SlaClock::Owner,
        SlaClock::Commit,
        SlaClock::Update,
        SlaClock::Resolve,
        SlaClock::Promise,
        SlaClock::Action,
    ];

    /// The clocks a policy sets targets for (the promises are due when we said).
    pub const TARGETED: [SlaClock; 5] = [
        SlaClock::Acknowledge,
        SlaClock::Owner,
        SlaClock::Commit,
        SlaClock::Update,
        SlaClock::Resolve,
    ];

    /// Whether its due time is a date promised to the customer rather than a policy target.
    pub fn is_promise(self) -> bool {
        matches!(self, SlaClock::Promise | SlaClock::Action)
    }

    /// The code in tables and URLs.
    pub fn code(self) -> &'static str {
        match self {
            SlaClock::Acknowledge => "acknowledge",
            SlaClock::Owner => "owner",
            SlaClock::Commit => "commit",
            SlaClock::Update => "update",
            SlaClock::Resolve => "resolve",
            SlaClock::Promise => "promise",
            SlaClock::Action => "action",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            SlaClock::Acknowledge => "Acknowledge",
            SlaClock::Owner => "Name an owner",
            SlaClock::Commit => "Commit to an action",
            SlaClock::Update => "Update the customer",
            SlaClock::Resolve => "Resolve",
            SlaClock::Promise => "Next update as promised",
            SlaClock::Action => "Action by its date",
        }
    }

    /// Its rule, in one sentence, for the complaint page and the docs.
    pub fn rule(self) -> &'static str {
        match self {
            SlaClock::Acknowledge => {
                "Starts on receipt; met when the apology is sent; never pauses."
            }
            SlaClock::Owner => "Starts on receipt; met when an owner is named; never pauses.",
            SlaClock::Commit => {
                "Starts on receipt (afresh on reopening); met when an action is committed to; \
                 pauses while we wait on the customer."
            }
            SlaClock::Update => {
                "Starts on acknowledgement and afresh after every message to the customer; met \
                 by each one; pauses while we wait on the customer; ends with the outcome."
            }
            SlaClock::Resolve => {
                "Starts on receipt (afresh on reopening); met when the complaint is resolved; \
                 pauses while we wait on the customer."
            }
            SlaClock::Promise => {
                "Starts with each progress update; due at the end of the day it promised the \
                 next update by; met by the next message to the customer or the outcome; never \
                 pauses."
            }
            SlaClock::Action => {
                "Starts when an action is committed to; due at the end of its \"done by\" date; \
                 met when the complaint is resolved; a new commitment starts it afresh; never \
                 pauses."
            }
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code.trim())
    }

    /// Whether waiting on the customer pauses it.
    pub fn pauses(self) -> bool {
        matches!(
            self,
            SlaClock::Commit | SlaClock::Update | SlaClock::Resolve
        )
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SlaClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
