//! The six steps of a complaint as staff read them on its page: which are done, by whom and
//! when, and which is next.

use chrono::{DateTime, Utc};
use redress_domain::{Complaint, ComplaintChange, ComplaintEvent, Language, Step};
use serde::Serialize;

use super::timeline::by;
use crate::locale::{text, text_with};
use crate::words::counted;

/// One of the six steps, as the progress indicator shows it.
#[derive(Debug, Serialize)]
pub(crate) struct StepView {
    number: u8,
    pub(crate) title: String,
    done: bool,
    current: bool,
    at: Option<DateTime<Utc>>,
    by: Option<String>,
    pub(crate) detail: Option<String>,
}

/// The six steps in `language`: which are done, by whom and when, and which is next.
pub(crate) fn steps(
    events: &[ComplaintEvent],
    complaint: &Complaint,
    language: Language,
) -> Vec<StepView> {
    let last = |pick: &dyn Fn(&ComplaintChange) -> Option<String>| {
        events.iter().rev().find_map(|e| {
            pick(&e.change).map(|detail| (e.occurred_at, by(&e.by, language), detail))
        })
    };
    let progress = complaint.progress();
    let current = progress.step();
    let acknowledged =
        last(&|c| matches!(c, ComplaintChange::ComplaintAcknowledged { .. }).then(String::new));
    // Step 2 is done when the points of complaint are recorded (a complaint concluded
    // before points existed passed it without them).
    let listened = last(&|c| match c {
        ComplaintChange::PointsOfComplaintRecorded { points, sent } => Some(counted(
            language,
            if *sent {
                "tl-step-points-sent"
            } else {
                "tl-step-points"
            },
            u64::try_from(points.len()).unwrap_or(u64::MAX),
            &[],
        )),
        _ => None,
    });
    let heard = progress.listened || progress.investigation_concluded;
    let concluded = last(&|c| match c {
        ComplaintChange::InvestigationConcluded { findings } => Some(findings.clone()),
        _ => None,
    });
    let committed = complaint.commitment().map(|c| {
        text_with(
            language,
            "tl-step-committed",
            &[("action", c.action.clone()), ("date", c.due_on.to_string())],
        )
    });
    let committed_at =
        last(&|c| matches!(c, ComplaintChange::ActionCommitted { .. }).then(String::new));
    let owned = last(&|c| match c {
        ComplaintChange::OwnerAssigned { owner, .. } => Some(owner.name.clone()),
        _ => None,
    });
    // Once resolved, the outcome was the last word owed: no "next update by" any more.
    let updated = if progress.resolved {
        last(&|c| {
            matches!(c, ComplaintChange::ComplaintResolved { .. })
                .then(|| text(language, "tl-step-outcome-sent"))
        })
    } else {
        last(&|c| match c {
            ComplaintChange::ProgressUpdateSent { next_update_on, .. } => Some(text_with(
                language,
                "tl-step-next-update",
                &[("date", next_update_on.to_string())],
            )),
            _ => None,
        })
    };
    let view = |number,
                key: &str,
                done: bool,
                step: Option<Step>,
                found: Option<(DateTime<Utc>, String, String)>| {
        let (at, who, detail) = match found {
            Some((at, who, detail)) => {
                (Some(at), Some(who), (!detail.is_empty()).then_some(detail))
            }
            None => (None, None, None),
        };
        StepView {
            number,
            title: text(language, key),
            done,
            current: step == Some(current),
            at,
            by: who,
            detail,
        }
    };
    vec![
        view(
            1,
            "tl-step-apologise",
            progress.acknowledged,
            Some(Step::Acknowledge),
            acknowledged,
        ),
        view(2, "tl-step-listen", heard, Some(Step::Listen), listened),
        view(
            3,
            "tl-step-establish-facts",
            progress.investigation_concluded,
            Some(Step::EstablishFacts),
            concluded,
        ),
        view(
            4,
            "tl-step-commit",
            progress.action_committed,
            Some(Step::CommitToAction),
            committed_at.map(|(at, who, _)| (at, who, committed.unwrap_or_default())),
        ),
        view(
            5,
            "tl-step-name-owner",
            progress.owner_named,
            Some(Step::NameOwner),
            owned,
        ),
        view(
            6,
            "tl-step-keep-informed",
            progress.resolved,
            Some(Step::KeepInformed),
            updated,
        ),
    ]
}
