//! A complaint's clocks in words, as the complaint page and the SLA dashboard show them
//! (presentation: the store keeps the clocks, the web says them), in the reader's language
//! (`clk-*` in `staff-words.ftl`; the clocks' and states' names are `label-clock-*` and
//! `label-clockstatus-*`).

use chrono::{DateTime, Duration, Utc};
use redress_domain::{
    Basis, ClockStatus, ComplaintSla, Language, SlaClock, SlaPolicy, Target, Unit,
};
use serde::Serialize;

use crate::locale::{self, text_with};
use crate::words::counted;

/// A clock as the complaint page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockView {
    /// Code.
    pub clock: &'static str,
    /// Label.
    pub label: String,
    /// Its rule.
    pub rule: String,
    /// The run.
    pub cycle: u32,
    /// The target, in words.
    pub target: Option<String>,
    /// State code.
    pub status: &'static str,
    /// State label.
    pub status_label: String,
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
    /// Every clock of a complaint at `now`, in `language`.
    pub fn all(
        sla: &ComplaintSla,
        policy: &SlaPolicy,
        now: DateTime<Utc>,
        language: Language,
    ) -> Vec<ClockView> {
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
                    label: locale::label(
                        language,
                        "clock",
                        state.clock.code(),
                        state.clock.label(),
                    ),
                    rule: rule(language, state.clock),
                    cycle: state.cycle,
                    target: state.target.map(|t| target_words(language, t)),
                    status: status.code(),
                    status_label: locale::label(
                        language,
                        "clockstatus",
                        status.code(),
                        status.label(),
                    ),
                    started_at: state.started_at,
                    due_at: state.due_at,
                    met_at: state.met_at,
                    breached_at: state.breached_at,
                    paused: (paused > 0).then(|| words_in(language, paused)),
                    left: match status {
                        ClockStatus::OnTrack | ClockStatus::AtRisk | ClockStatus::Paused => {
                            state.left_secs(policy, now).map(|s| {
                                let time = match state.target.map(|t| t.basis) {
                                    Some(Basis::Business) => {
                                        business_words(language, policy, now, s)
                                    }
                                    _ => words_in(language, s.max(0)),
                                };
                                text_with(language, "clk-left", &[("time", time)])
                            })
                        }
                        ClockStatus::Breached => state.breached_at.or(state.due_at).map(|due| {
                            let time = words_in(language, (now - due).num_seconds());
                            text_with(language, "clk-overdue", &[("time", time)])
                        }),
                        _ => None,
                    },
                }
            })
            .collect()
    }
}

/// A clock's rule, in one sentence.
pub fn rule(language: Language, clock: SlaClock) -> String {
    let key = match clock {
        SlaClock::Acknowledge => "clk-rule-acknowledge",
        SlaClock::Owner => "clk-rule-owner",
        SlaClock::Commit => "clk-rule-commit",
        SlaClock::Update => "clk-rule-update",
        SlaClock::Resolve => "clk-rule-resolve",
        SlaClock::Promise => "clk-rule-promise",
        SlaClock::Action => "clk-rule-action",
    };
    locale::text(language, key)
}

/// A target in words: "3 business days", "8 weeks" (in English, as the target is written).
pub fn target_words(language: Language, target: Target) -> String {
    let unit = match target.unit {
        Unit::Minutes => "minutes",
        Unit::Hours => "hours",
        Unit::Days => "days",
        Unit::Weeks => "weeks",
    };
    let stem = match target.basis {
        Basis::Business => format!("clk-target-business-{unit}"),
        Basis::Calendar => format!("clk-target-{unit}"),
    };
    counted(language, &stem, u64::from(target.amount), &[])
}

/// Working time from `now` in the policy calendar's working days and hours: "3 business days
/// 4 h", "1 business day", "2 h 30 min of working time" (never 24-hour days).
pub fn business_words(
    language: Language,
    policy: &SlaPolicy,
    now: DateTime<Utc>,
    seconds: i64,
) -> String {
    let (days, rest) = policy
        .calendar
        .in_working_days(now, Duration::seconds(seconds.max(0)));
    if days == 0 {
        let time = words_in(language, rest.num_seconds());
        return text_with(language, "clk-working-time", &[("time", time)]);
    }
    let days = u64::try_from(days).unwrap_or(0);
    match rest.num_hours() {
        0 => counted(language, "clk-business-days", days, &[]),
        hours => counted(
            language,
            "clk-business-days-hours",
            days,
            &[("hours", hours.to_string())],
        ),
    }
}

/// A duration in words, in English: "2 d 3 h", "45 min".
pub fn words(seconds: i64) -> String {
    words_in(Language::En, seconds)
}

/// A duration in words in `language`: "2 d 3 h", "45 min".
pub fn words_in(language: Language, seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    let (key, args) = match (d, h, m) {
        (0, 0, m) => ("clk-minutes", vec![("minutes", m.to_string())]),
        (0, h, m) => (
            "clk-hours-minutes",
            vec![("hours", h.to_string()), ("minutes", m.to_string())],
        ),
        (d, h, _) => (
            "clk-days-hours",
            vec![("days", d.to_string()), ("hours", h.to_string())],
        ),
    };
    text_with(language, key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_targets_read_as_before_in_english_and_in_every_language() {
        assert_eq!(words(45 * 60), "45 min");
        assert_eq!(words(3 * 3_600 + 5 * 60), "3 h 5 min");
        assert_eq!(words(2 * 86_400 + 3 * 3_600), "2 d 3 h");
        for (amount, unit, basis) in [
            (1, Unit::Minutes, Basis::Calendar),
            (30, Unit::Minutes, Basis::Calendar),
            (1, Unit::Hours, Basis::Business),
            (4, Unit::Hours, Basis::Business),
            (1, Unit::Days, Basis::Business),
            (3, Unit::Days, Basis::Business),
            (15, Unit::Days, Basis::Calendar),
            (1, Unit::Weeks, Basis::Calendar),
            (8, Unit::Weeks, Basis::Calendar),
            (20, Unit::Weeks, Basis::Business),
        ] {
            let target = Target {
                amount,
                unit,
                basis,
            };
            assert_eq!(target_words(Language::En, target), target.to_string());
        }
        assert_eq!(
            target_words(Language::Ro, Target::business(20, Unit::Days)),
            "20 de zile lucrătoare"
        );
        assert_eq!(
            target_words(Language::Es, Target::business(3, Unit::Days)),
            "3 días hábiles"
        );
        for language in Language::ALL {
            let said = [
                words_in(*language, 45 * 60),
                words_in(*language, 3 * 3_600),
                words_in(*language, 3 * 86_400),
                target_words(*language, Target::calendar(2, Unit::Hours)),
            ]
            .into_iter()
            .chain(SlaClock::ALL.iter().map(|c| rule(*language, *c)));
            for words in said {
                assert!(!words.contains("Unknown localization"), "{words}");
            }
        }
        for clock in SlaClock::ALL {
            assert_eq!(
                rule(Language::En, clock),
                clock.rule(),
                "as the domain says it"
            );
        }
    }
}
