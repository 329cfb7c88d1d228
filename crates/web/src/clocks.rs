//! A complaint's clocks in words, as the complaint page and the SLA dashboard show them
//! (presentation: the store keeps the clocks, the web says them).

use chrono::{DateTime, Duration, Utc};
use redress_domain::{ClockStatus, ComplaintSla, SlaPolicy};
use serde::Serialize;

/// A clock as the complaint page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockView {
    /// Code.
    pub clock: &'static str,
    /// Label.
    pub label: &'static str,
    /// Its rule.
    pub rule: &'static str,
    /// The run.
    pub cycle: u32,
    /// The target, in words.
    pub target: Option<String>,
    /// State code.
    pub status: &'static str,
    /// State label.
    pub status_label: &'static str,
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it falls due (while running).
    pub due_at: Option<DateTime<Utc>>,
    /// When it was met.
    pub met_at: Option<DateTime<Utc>>,
    /// When it was breached.
    pub breached_at: Option<DateTime<Utc>>,
    /// Time paused in this run, in words.
    pub paused: Option<String>,
    /// Time left (or overdue), in words.
    pub left: Option<String>,
}

impl ClockView {
    /// Every clock of a complaint at `now`.
    pub fn all(sla: &ComplaintSla, policy: &SlaPolicy, now: DateTime<Utc>) -> Vec<ClockView> {
        sla.clocks
            .iter()
            .map(|state| {
                let status = state.status(now);
                let paused = state.paused_secs
                    + state
                        .paused_since
                        .filter(|_| state.is_open())
                        .map_or(0, |since| (now - since).num_seconds().max(0));
                ClockView {
                    clock: state.clock.code(),
                    label: state.clock.label(),
                    rule: state.clock.rule(),
                    cycle: state.cycle,
                    target: state.target.map(|t| t.to_string()),
                    status: status.code(),
                    status_label: status.label(),
                    started_at: state.started_at,
                    due_at: state.due_at,
                    met_at: state.met_at,
                    breached_at: state.breached_at,
                    paused: (paused > 0).then(|| words(paused)),
                    left: match status {
                        ClockStatus::OnTrack | ClockStatus::AtRisk | ClockStatus::Paused => state
                            .left_secs(policy, now)
                            .map(|s| match state.target.map(|t| t.basis) {
                                Some(redress_domain::Basis::Business) => {
                                    format!("{} left", business_words(policy, now, s))
                                }
                                _ => format!("{} left", words(s.max(0))),
                            }),
                        ClockStatus::Breached => state
                            .breached_at
                            .or(state.due_at)
                            .map(|due| format!("{} overdue", words((now - due).num_seconds()))),
                        _ => None,
                    },
                }
            })
            .collect()
    }
}

/// Working time from `now` in the policy calendar's working days and hours: "3 business days
/// 4 h", "1 business day", "2 h 30 min of working time" (never 24-hour days).
pub fn business_words(policy: &SlaPolicy, now: DateTime<Utc>, seconds: i64) -> String {
    let (days, rest) = policy
        .calendar
        .in_working_days(now, Duration::seconds(seconds.max(0)));
    if days == 0 {
        return format!("{} of working time", words(rest.num_seconds()));
    }
    let plural = if days == 1 { "" } else { "s" };
    let hours = rest.num_hours();
    if hours == 0 {
        format!("{days} business day{plural}")
    } else {
        format!("{days} business day{plural} {hours} h")
    }
}

/// A duration in words: "2 d 3 h", "45 min".
pub fn words(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}
