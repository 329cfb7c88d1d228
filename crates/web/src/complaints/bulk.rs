//! Bulk actions from the queue (`POST /complaints/bulk`): the complaints ticked on the page, or
//! every complaint matching the queue's filter up to [`BULK_LIMIT`], each given the same
//! command through the same rules as one at a time. The answer says what was done and what
//! was refused, and why; a form sent twice does nothing the second time.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use redress_domain::{Actor, ComplaintAction, ComplaintCommand, Priority, Reference};
use redress_store::{CommandError, QueueCursor, QueueSort};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::queue::QueueQuery;
use crate::AppState;
use crate::auth::csrf_protected;
use crate::error::AppError;
use crate::signed::Signed;

/// The most complaints one bulk action changes.
pub const BULK_LIMIT: usize = 500;

/// The bulk form: `action` (`assign`, `team`, `priority`, `add_tag`, `remove_tag`), its value
/// (`owner_id`, `team_id`, `priority`, `tag`; `reason` for a move), `pick_{reference}` for each
/// complaint ticked, or `everything` with the queue's query string in `filter`.
#[derive(Debug, Deserialize)]
pub(crate) struct BulkForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// One complaint's result.
#[derive(Debug, Serialize)]
struct Outcome {
    reference: String,
    /// Why it was refused; `None`: done.
    refused: Option<String>,
}

/// The result page.
#[derive(Debug, Serialize)]
struct BulkView {
    /// What was asked, in words ("Assign to Ana Pop").
    what: String,
    done: Vec<Outcome>,
    refused: Vec<Outcome>,
    /// The form was sent before: nothing was done this time.
    replayed: bool,
    /// The queue to go back to.
    back: String,
    /// More matched than one bulk action changes.
    capped: bool,
}

fn problem(message: impl Into<String>) -> AppError {
    AppError::BadForm(message.into())
}

/// POST /complaints/bulk
pub(crate) async fn bulk(
    state: web::Data<AppState>,
    signed: Signed<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let fields = &signed.form.fields;
    let field = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let filter_text = field("filter");
    let back = if filter_text.is_empty() {
        "/complaints".to_string()
    } else {
        format!("/complaints?{filter_text}")
    };
    let (what, action) = action_of(&state, &field).await?;
    let (references, capped) = if fields.contains_key("everything") {
        matching(&state, &signed, &filter_text).await?
    } else {
        let mut picked = Vec::new();
        for name in fields.keys() {
            if let Some(reference) = name.strip_prefix("pick_") {
                picked.push(Reference::parse(reference).map_err(|_| {
                    problem(format!("{reference:?} is not a complaint reference."))
                })?);
            }
        }
        if picked.len() > BULK_LIMIT {
            return Err(problem(format!(
                "Choose at most {BULK_LIMIT} complaints at once."
            )));
        }
        (picked, false)
    };
    if references.is_empty() {
        return Err(problem(
            "Tick the complaints to change, or choose every complaint matching the filter.",
        ));
    }
    // Once per form: a second sending (a reload, a double click) changes nothing.
    if let Some(token) = fields.get("form_token")
        && !state.store.forms.claim(token).await?
    {
        let view = BulkView {
            what,
            done: vec![],
            refused: vec![],
            replayed: true,
            back,
            capped: false,
        };
        return signed
            .page(view)?
            .render(&state, "complaints/bulk.html", 200);
    }
    let by = Actor::Staff(signed.staff.0.member());
    let mut done = Vec::new();
    let mut refused = Vec::new();
    for reference in references {
        let command = ComplaintCommand::new(by.clone(), action.clone());
        let result = state.store.complaints.execute(&reference, command).await;
        let outcome = |refused: Option<String>| Outcome {
            reference: reference.to_string(),
            refused,
        };
        match result {
            Ok(()) => done.push(outcome(None)),
            Err(CommandError::Rejected(rejection)) => refused.push(outcome(Some(
                crate::refusals::refusal(signed.staff.language(), &rejection),
            ))),
            Err(error @ (CommandError::NotFound(_) | CommandError::Conflict)) => {
                refused.push(outcome(Some(error.to_string())))
            }
            Err(other) => return Err(other.into()),
        }
    }
    let view = BulkView {
        what,
        done,
        refused,
        replayed: false,
        back,
        capped,
    };
    signed
        .page(view)?
        .render(&state, "complaints/bulk.html", 200)
}

/// The command every chosen complaint is given, and what it is in words.
async fn action_of(
    state: &AppState,
    field: &impl Fn(&str) -> String,
) -> Result<(String, ComplaintAction), AppError> {
    Ok(match field("action").as_str() {
        "assign" => {
            let id = Uuid::parse_str(&field("owner_id"))
                .map_err(|_| problem("Choose the person to assign them to."))?;
            let account = state
                .store
                .accounts
                .get(id)
                .await?
                .filter(|a| a.active)
                .ok_or_else(|| problem("That member of staff does not exist or is deactivated."))?;
            (
                format!("Assign to {}", account.name),
                ComplaintAction::AssignOwner {
                    owner: account.member(),
                },
            )
        }
        "team" => {
            let id = Uuid::parse_str(&field("team_id")).map_err(|_| problem("Choose the team."))?;
            let team = state
                .store
                .teams
                .get(id)
                .await?
                .ok_or_else(|| problem("That team does not exist."))?;
            (
                format!("Move to the team {}", team.name),
                ComplaintAction::ChangeTeam {
                    team: team.reference(),
                    reason: field("reason"),
                },
            )
        }
        "priority" => {
            let priority =
                Priority::parse(&field("priority")).map_err(|e| problem(e.to_string()))?;
            (
                format!("Change the priority to {}", priority.label().to_lowercase()),
                ComplaintAction::ChangePriority { priority },
            )
        }
        "add_tag" => (
            format!("Tag \"{}\"", field("tag")),
            ComplaintAction::AddTag { tag: field("tag") },
        ),
        "remove_tag" => (
            format!("Remove the tag \"{}\"", field("tag")),
            ComplaintAction::RemoveTag { tag: field("tag") },
        ),
        "" => return Err(problem("Choose what to do with the complaints.")),
        other => {
            return Err(problem(format!(
                "{:?} is not a bulk action; choose assign, team, priority, add_tag or remove_tag.",
                other.chars().take(30).collect::<String>()
            )));
        }
    })
}

/// Every complaint the queue's filter (its query string) matches, up to [`BULK_LIMIT`];
/// `true` when there were more.
async fn matching(
    state: &AppState,
    signed: &Signed<BulkForm>,
    filter_text: &str,
) -> Result<(Vec<Reference>, bool), AppError> {
    let mut query: QueueQuery = serde_urlencoded::from_str(filter_text)
        .map_err(|_| problem("The queue's filter could not be read; go back to the queue."))?;
    query.after = None;
    let my_teams = state.store.teams.of_member(signed.staff.0.id).await?;
    let filter = query.filter(&signed.staff, &my_teams, state.store.sla.now())?;
    let mut references = Vec::new();
    let mut after: Option<QueueCursor> = None;
    loop {
        let page = state
            .store
            .complaint_list
            .queue(&filter, QueueSort::Oldest, after.as_ref(), 200)
            .await?;
        for row in page.rows {
            if references.len() == BULK_LIMIT {
                return Ok((references, true));
            }
            references.push(
                Reference::parse(&row.reference)
                    .map_err(|_| AppError::Internal("a listed reference is malformed".into()))?,
            );
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok((references, false)),
        }
    }
}

csrf_protected!(BulkForm);
