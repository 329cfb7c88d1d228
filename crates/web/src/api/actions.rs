//! Every action staff can take on a complaint, as `POST /api/v1/complaints/{reference}/{action}`
//! with a JSON body of the action's own fields. The complaint decides as it does for the web:
//! the same rules, the same refusals (422, in the domain's words), the same conflicts (409).
//! The answer is where the complaint now stands, as `GET` reads it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use redress_domain::{
    ActionKind, Channel, ComplaintAction, ComplaintCommand, Direction, Outcome, PointDecision,
    Priority, Reference,
};
use redress_store::Scope;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::body::JsonBody;
use super::complaints::{not_found, status_of};
use super::idempotency::{self, Answer};
use super::{ApiClient, ApiError};
use crate::AppState;

/// Whether the API offers `kind`: all but erasing personal data (done from the customer's
/// file, for all their complaints at once) and the customer's own files.
pub(crate) fn offered(kind: ActionKind) -> bool {
    !matches!(
        kind,
        ActionKind::ErasePersonalData | ActionKind::AttachFiles
    )
}

/// The codes the API offers, for messages.
fn codes() -> String {
    ActionKind::ALL
        .into_iter()
        .filter(|kind| offered(*kind))
        .map(ActionKind::code)
        .collect::<Vec<_>>()
        .join(", ")
}

/// POST /api/v1/complaints/{reference}/{action}
pub(crate) async fn act(
    state: web::Data<AppState>,
    client: ApiClient,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    client.require(Scope::Act)?;
    let (reference, code) = path.into_inner();
    let kind = ActionKind::from_code(&code)
        .filter(|kind| offered(*kind))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "There is no action {:?}; the actions are: {}.",
                code.chars().take(40).collect::<String>(),
                codes()
            ))
        })?;
    let reference = Reference::parse(&reference).map_err(|_| not_found())?;
    idempotency::once(&state, &client, &request, &body, || {
        take(&state, &client, &reference, kind, &body)
    })
    .await
}

async fn take(
    state: &AppState,
    client: &ApiClient,
    reference: &Reference,
    kind: ActionKind,
    body: &JsonBody,
) -> Result<Answer, ApiError> {
    // An unknown complaint is 404 whatever the body says.
    if state.store.complaints.load(reference).await?.is_none() {
        return Err(not_found());
    }
    let action = action(state, kind, body).await?;
    state
        .store
        .complaints
        .execute(reference, ComplaintCommand::new(client.actor(), action))
        .await?;
    let status = status_of(state, reference).await?;
    Ok(Answer {
        status: StatusCode::OK,
        body: serde_json::to_value(&status).unwrap_or_default(),
        location: None,
    })
}

/// 422: a field holds a value it cannot take.
fn invalid(field: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("{field}: {error}"),
    )
}

fn date(field: &str, value: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        invalid(
            field,
            format!("must be a date like 2026-11-30, not {value:?}"),
        )
    })
}

fn reference(field: &str, value: &str) -> Result<Reference, ApiError> {
    Reference::parse(value.trim()).map_err(|e| invalid(field, e))
}

/// A JSON number that is a whole number, `5` or `5.0` alike (JSON Schema's `integer`).
fn whole_number(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let number = serde_json::Number::deserialize(deserializer)?;
    let value = whole_number(&number)
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number")))?;
    T::try_from(value).map_err(|_| D::Error::custom(format!("{value} is out of range")))
}

fn whole_or_null<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<serde_json::Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(number) => whole_number(&number)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Acknowledge {
    apology: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Statement {
    channel: String,
    statement: String,
    #[serde(default)]
    shared: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Points {
    points: Vec<String>,
    #[serde(default)]
    send: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fact {
    fact: String,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Findings {
    findings: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Commitment {
    action: String,
    due_on: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Owner {
    owner: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    message: String,
    next_update_on: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    request: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Response {
    response: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(deserialize_with = "whole")]
    point: u32,
    outcome: String,
    #[serde(default)]
    reasons: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolution {
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    decisions: Vec<Decision>,
    reasons: String,
    #[serde(default)]
    remedy: Option<String>,
    #[serde(default, deserialize_with = "whole_or_null")]
    redress_paid_cents: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Nothing {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Satisfaction {
    #[serde(deserialize_with = "whole")]
    score: u8,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    would_change: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorityBody {
    priority: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryBody {
    category: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Communication {
    direction: String,
    channel: String,
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    team: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tag {
    tag: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RootCauses {
    causes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Merge {
    survivor: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    other: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    note: String,
}

fn read<T: DeserializeOwned>(body: &JsonBody) -> Result<T, ApiError> {
    body.parse()
}

/// The action `body` asks for, its people, teams and references looked up.
async fn action(
    state: &AppState,
    kind: ActionKind,
    body: &JsonBody,
) -> Result<ComplaintAction, ApiError> {
    Ok(match kind {
        ActionKind::Acknowledge => {
            let Acknowledge { apology } = read(body)?;
            ComplaintAction::Acknowledge { apology }
        }
        ActionKind::RecordCustomerStatement => {
            let Statement {
                channel,
                statement,
                shared,
            } = read(body)?;
            ComplaintAction::RecordCustomerStatement {
                channel: Channel::parse(&channel).map_err(|e| invalid("channel", e))?,
                statement,
                shared,
            }
        }
        ActionKind::RecordPoints => {
            let Points { points, send } = read(body)?;
            ComplaintAction::RecordPoints { points, send }
        }
        ActionKind::RecordFact => {
            let Fact { fact, source } = read(body)?;
            ComplaintAction::RecordFact { fact, source }
        }
        ActionKind::ConcludeInvestigation => {
            let Findings { findings } = read(body)?;
            ComplaintAction::ConcludeInvestigation { findings }
        }
        ActionKind::CommitToAction => {
            let Commitment { action, due_on } = read(body)?;
            ComplaintAction::CommitToAction {
                action,
                due_on: date("due_on", &due_on)?,
                resolve_by: None,
            }
        }
        ActionKind::AssignOwner => {
            let Owner { owner } = read(body)?;
            ComplaintAction::AssignOwner {
                owner: staff_member(state, &owner).await?,
            }
        }
        ActionKind::SendProgressUpdate => {
            let Update {
                message,
                next_update_on,
            } = read(body)?;
            ComplaintAction::SendProgressUpdate {
                message,
                next_update_on: date("next_update_on", &next_update_on)?,
                resolve_by: None,
            }
        }
        ActionKind::WaitOnCustomer => {
            let Request { request } = read(body)?;
            ComplaintAction::WaitOnCustomer { request }
        }
        ActionKind::RecordCustomerResponse => {
            let Response { response } = read(body)?;
            ComplaintAction::RecordCustomerResponse { response }
        }
        ActionKind::Resolve => {
            let Resolution {
                outcome,
                decisions,
                reasons,
                remedy,
                redress_paid_cents,
            } = read(body)?;
            let outcome = match outcome {
                Some(code) => Some(Outcome::parse(&code).map_err(|e| invalid("outcome", e))?),
                None => None,
            };
            let mut points = Vec::with_capacity(decisions.len());
            for decision in decisions {
                points.push(PointDecision {
                    point: decision.point,
                    outcome: Outcome::parse(&decision.outcome).map_err(|e| {
                        invalid(&format!("decisions[{}].outcome", decision.point), e)
                    })?,
                    reasons: decision.reasons,
                });
            }
            points.sort_by_key(|d| d.point);
            ComplaintAction::Resolve {
                outcome,
                decisions: points,
                reasons,
                remedy: remedy.filter(|r| !r.trim().is_empty()),
                redress_paid_cents,
            }
        }
        ActionKind::Close => {
            let Nothing {} = read(body)?;
            ComplaintAction::Close
        }
        ActionKind::Reopen => {
            let Reason { reason } = read(body)?;
            ComplaintAction::Reopen { reason }
        }
        ActionKind::RecordSatisfaction => {
            let Satisfaction {
                score,
                comment,
                would_change,
            } = read(body)?;
            ComplaintAction::RecordSatisfaction {
                score,
                comment,
                would_change,
            }
        }
        ActionKind::ChangePriority => {
            let PriorityBody { priority } = read(body)?;
            ComplaintAction::ChangePriority {
                priority: Priority::parse(&priority).map_err(|e| invalid("priority", e))?,
            }
        }
        ActionKind::ChangeCategory => {
            let CategoryBody { category } = read(body)?;
            ComplaintAction::ChangeCategory { category }
        }
        ActionKind::RecordCommunication => {
            let Communication {
                direction,
                channel,
                summary,
            } = read(body)?;
            ComplaintAction::RecordCommunication {
                direction: Direction::parse(&direction).map_err(|e| invalid("direction", e))?,
                channel: Channel::parse(&channel).map_err(|e| invalid("channel", e))?,
                summary,
            }
        }
        ActionKind::ChangeTeam => {
            let TeamBody { team, reason } = read(body)?;
            let wanted = team.trim();
            let teams = state.store.teams.list().await?;
            let found = teams
                .iter()
                .find(|t| t.id.to_string() == wanted.to_ascii_lowercase())
                .or_else(|| teams.iter().find(|t| t.name.eq_ignore_ascii_case(wanted)))
                .ok_or_else(|| {
                    invalid(
                        "team",
                        format!(
                            "no team is called {:?}; the teams are: {}",
                            wanted.chars().take(60).collect::<String>(),
                            teams
                                .iter()
                                .map(|t| t.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            ComplaintAction::ChangeTeam {
                team: found.reference(),
                reason,
            }
        }
        ActionKind::AddTag => {
            let Tag { tag } = read(body)?;
            ComplaintAction::AddTag { tag }
        }
        ActionKind::RemoveTag => {
            let Tag { tag } = read(body)?;
            ComplaintAction::RemoveTag { tag }
        }
        ActionKind::MergeInto => {
            let Merge { survivor } = read(body)?;
            ComplaintAction::MergeInto {
                survivor: reference("survivor", &survivor)?,
                // The store reads whether it is open.
                survivor_open: false,
            }
        }
        ActionKind::RecordRootCauses => {
            let RootCauses { causes } = read(body)?;
            if let Some(refused) = crate::causes::known(state, &causes).await? {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, refused));
            }
            ComplaintAction::RecordRootCauses { causes }
        }
        ActionKind::Link => {
            let LinkBody { other } = read(body)?;
            ComplaintAction::Link {
                other: reference("other", &other)?,
            }
        }
        ActionKind::SendReply => {
            let Reply { message } = read(body)?;
            ComplaintAction::SendReply {
                message,
                attachments: Vec::new(),
                saved_reply: None,
            }
        }
        ActionKind::AddInternalNote => {
            let Note { note } = read(body)?;
            let mentions = crate::complaints::mentioned(state, &note)
                .await?
                .map_err(|why| invalid("note", why))?;
            ComplaintAction::AddInternalNote { note, mentions }
        }
        ActionKind::ErasePersonalData | ActionKind::AttachFiles => {
            return Err(ApiError::not_found(format!(
                "The API does not offer this action; the actions are: {}.",
                codes()
            )));
        }
    })
}

/// The active member of staff `who` names: their email address or their account's id.
async fn staff_member(
    state: &AppState,
    who: &str,
) -> Result<redress_domain::StaffMember, ApiError> {
    let wanted = who.trim();
    let by_id = Uuid::parse_str(wanted).ok();
    let staff = state.store.accounts.active().await?;
    staff
        .iter()
        .find(|a| Some(a.id) == by_id || a.email.eq_ignore_ascii_case(wanted))
        .map(|a| a.member())
        .ok_or_else(|| {
            invalid(
                "owner",
                format!(
                    "no active member of staff has the address or id {:?}",
                    wanted.chars().take(80).collect::<String>()
                ),
            )
        })
}
