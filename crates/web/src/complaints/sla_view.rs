//! The complaint page's SLA part: its clocks under the policy version it is held to (read
//! from its own events, so the page after a command shows that command's effect), and its
//! breaches with their causes.

use chrono::{DateTime, Utc};
use redress_domain::{ComplaintChange, ComplaintEvent, SlaClock};
use serde::Serialize;

use super::timeline::{TimelineEntry, line};
use crate::error::AppError;
use crate::{AppState, locale};

/// The complaint's SLA clocks under the policy version it is held to.
#[derive(Debug, Serialize)]
pub(crate) struct SlaView {
    policy_name: String,
    version: u32,
    time_zone: &'static str,
    status: &'static str,
    status_label: String,
    clocks: Vec<crate::clocks::ClockView>,
}

/// A missed deadline, with its clock's name.
#[derive(Debug, Serialize)]
pub(crate) struct BreachView {
    #[serde(flatten)]
    breach: redress_store::sla::BreachRow,
    label: String,
}

/// The complaint's SLA clocks, with their rules, and its breaches with their causes.
pub(crate) async fn sla_of(
    state: &AppState,
    reference: &str,
    events: &[ComplaintEvent],
    timeline: &mut [TimelineEntry],
    past: Option<DateTime<Utc>>,
    language: redress_domain::Language,
) -> Result<(Option<SlaView>, Vec<BreachView>), AppError> {
    let now = past.unwrap_or_else(|| state.store.sla.now());
    // The clocks as this page's own events set them, now or at the moment asked for: the
    // page after a command shows that command's effect even before the SLA projection has
    // caught up (read your own writes). The projection says which policy version holds.
    let held = match state.store.sla.of_complaint(reference).await? {
        Some((sla, policy)) => Some((sla.policy_version, policy)),
        None => match events.first() {
            Some(first) => Some(state.store.sla.policy_at(first.occurred_at).await?),
            None => None,
        },
    };
    let replayed = held.and_then(|(version, policy)| {
        redress_domain::ComplaintSla::replay(events, &policy, version, now).map(|sla| (sla, policy))
    });
    // When each run of each clock was met, by the events (for the breaches below).
    let met_by_events: Vec<(&'static str, u32, DateTime<Utc>)> = replayed
        .as_ref()
        .map(|(sla, _)| {
            sla.clocks
                .iter()
                .filter_map(|c| c.met_at.map(|m| (c.clock.code(), c.cycle, m)))
                .collect()
        })
        .unwrap_or_default();
    let mut view = None;
    if let Some((sla, policy)) = replayed {
        // The receipt says which policy version the complaint is held to.
        if let Some(receipt) = timeline.iter_mut().find(|e| e.sequence == 1) {
            receipt.lines.push(line(
                &locale::text(language, "tl-line-sla-policy"),
                locale::text_with(
                    language,
                    "tl-line-policy-version",
                    &[
                        ("name", policy.name.clone()),
                        ("version", sla.policy_version.to_string()),
                    ],
                ),
            ));
        }
        view = Some(SlaView {
            version: sla.policy_version,
            time_zone: policy.calendar.time_zone.name(),
            status: sla.status(now).code(),
            status_label: locale::label(
                language,
                "clockstatus",
                sla.status(now).code(),
                sla.status(now).label(),
            ),
            clocks: crate::clocks::ClockView::all(&sla, &policy, now, language),
            policy_name: policy.name.clone(),
        });
    }
    let breaches: Vec<BreachView> = state
        .store
        .sla
        .breaches_of(reference)
        .await?
        .into_iter()
        .filter(|b| past.is_none_or(|at| b.due_at <= at))
        .map(|mut b| {
            if let Some(at) = past {
                // What was known then: not yet met, no cause yet.
                if b.met_at.is_some_and(|m| m > at) {
                    b.met_at = None;
                }
                if b.cause_at.is_some_and(|c| c > at) {
                    b.cause = None;
                    b.cause_by = None;
                    b.cause_at = None;
                }
            }
            // Read your own writes: a cause just recorded, or a clock just met, is in the
            // events before the projection has it.
            let cycle = u32::try_from(b.cycle).unwrap_or(0);
            if b.cause.is_none()
                && let Some(event) = events.iter().rev().find(|e| {
                    past.is_none_or(|at| e.occurred_at <= at)
                        && matches!(&e.change, ComplaintChange::BreachCauseRecorded { clock, cycle: c, .. }
                            if clock.code() == b.clock && *c == cycle)
                })
                && let ComplaintChange::BreachCauseRecorded { cause, .. } = &event.change
            {
                b.cause = Some(cause.clone());
                b.cause_by = Some(event.by.display_name().to_string());
                b.cause_at = Some(event.occurred_at);
            }
            if b.met_at.is_none()
                && let Some((_, _, met)) = met_by_events
                    .iter()
                    .find(|(code, c, _)| *code == b.clock && *c == cycle)
                && met > &b.due_at
            {
                b.met_at = Some(*met);
            }
            BreachView {
                label: SlaClock::parse(&b.clock).map_or_else(String::new, |c| {
                    locale::label(language, "clock", c.code(), c.label())
                }),
                breach: b,
            }
        })
        .collect();
    Ok((view, breaches))
}
