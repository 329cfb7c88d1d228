//! The forms of the complaint page turned into commands: one route per kind of action
//! (`POST /complaints/{reference}/{action}`), and the breach-cause form of the SLA card.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use redress_domain::{
    ActionKind, Actor, Channel, ComplaintAction, ComplaintCommand, Direction, Outcome,
    PointDecision, Priority, Reference, SlaClock, split_points,
};
use redress_store::CommandError;
use serde::Deserialize;
use uuid::Uuid;

use super::page::{FailedForm, NOT_ON_THE_PAGE, render_page};
use crate::AppState;
use crate::auth::csrf_protected;
use crate::error::AppError;
use crate::signed::Signed;

/// The breach-cause form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CauseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    form_token: Option<String>,
    #[serde(default)]
    clock: String,
    #[serde(default)]
    cycle: String,
    #[serde(default)]
    cause: String,
    /// A root cause from the list (its code), besides or instead of the words.
    #[serde(default)]
    root_cause: String,
}

/// The words a breach cause is recorded with: the root cause picked from the list (its English
/// name and code, so the words stay the same whoever reads them), then what was written.
async fn breach_cause(state: &AppState, code: &str, words: &str) -> Result<String, AppError> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(words.to_string());
    }
    let list = state.store.root_causes.list().await?;
    let Some(cause) = list.iter().find(|c| c.code == code && !c.retired) else {
        return Err(AppError::BadForm(format!(
            "There is no root cause {:?} on the list (see /causes).",
            code.chars().take(50).collect::<String>()
        )));
    };
    let named = format!(
        "{} ({})",
        cause.name(redress_domain::Language::En),
        cause.code
    );
    Ok(match words.trim() {
        "" => named,
        words => format!("{named}: {words}"),
    })
}

/// POST /complaints/{reference}/sla/cause: records why a clock was breached. Only a breach
/// the SLA clocks know of can be explained.
pub(crate) async fn record_cause(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<CauseForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let reference_text = path.into_inner();
    let reference = Reference::parse(&reference_text).map_err(|_| AppError::NotFound)?;
    let clock = SlaClock::parse(&form.clock)
        .ok_or_else(|| AppError::BadForm(format!("{:?} is not an SLA clock.", form.clock)))?;
    let cycle: u32 = form
        .cycle
        .trim()
        .parse()
        .map_err(|_| AppError::BadForm(format!("{:?} is not a run number.", form.cycle)))?;
    if state
        .store
        .sla
        .breach(reference.as_str(), clock, cycle)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    if let Some(token) = &form.form_token
        && !state.store.forms.claim(token).await?
    {
        return Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/complaints/{reference}?resubmitted=1#sla"),
            ))
            .finish());
    }
    let command = ComplaintCommand::new(
        Actor::Staff(staff.0.member()),
        ComplaintAction::RecordBreachCause {
            clock,
            cycle,
            cause: breach_cause(&state, &form.root_cause, &form.cause).await?,
        },
    );
    let result = state.store.complaints.execute(&reference, command).await;
    if result.is_err()
        && let Some(token) = &form.form_token
    {
        state.store.forms.release(token).await?;
    }
    let failed = |error: String, status: u16| {
        let mut values = BTreeMap::new();
        values.insert("clock".to_string(), clock.code().to_string());
        values.insert("cycle".to_string(), cycle.to_string());
        values.insert("cause".to_string(), form.cause.clone());
        (
            FailedForm {
                code: "breach_cause".into(),
                error,
                values,
            },
            status,
        )
    };
    let (failed, status) = match result {
        Ok(()) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/complaints/{reference}#sla")))
                .finish());
        }
        Err(CommandError::Rejected(rejection)) => {
            failed(crate::refusals::refusal(staff.language(), &rejection), 422)
        }
        Err(CommandError::Conflict) => failed(CommandError::Conflict.to_string(), 409),
        Err(other) => return Err(other.into()),
    };
    render_page(
        &state,
        &staff,
        &session,
        &reference_text,
        false,
        Some(failed),
        status,
        None,
    )
    .await
}

/// Every field any action form may send; each action reads the ones it needs.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// A field missing or malformed: said plainly, and shown beside the form.
pub(crate) struct FormProblem(pub(crate) String);

/// Why a form did not make an action: the person's mistake (shown beside the form, 422), or a
/// lookup the action needs that failed (the database: 503 when it cannot be reached, never a
/// 422 that blames the form).
pub(crate) enum FormFailure {
    /// The form.
    Problem(FormProblem),
    /// The lookup.
    Store(redress_store::StoreError),
}

impl From<FormProblem> for FormFailure {
    fn from(problem: FormProblem) -> Self {
        FormFailure::Problem(problem)
    }
}

impl ActionForm {
    fn text(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    fn date(&self, name: &str, label: &str) -> Result<NaiveDate, FormProblem> {
        let value = self.text(name);
        if value.trim().is_empty() {
            return Err(FormProblem(format!("Choose {label}.")));
        }
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
            FormProblem(format!(
                "{label} must be a date like 2026-11-30, not {value:?}."
            ))
        })
    }

    /// A checkbox: ticked when sent at all (browsers send `on`).
    fn checked(&self, name: &str) -> bool {
        self.fields
            .get(name)
            .is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
    }

    /// The decision on each point of complaint: `point_outcome_N` and `point_reasons_N` for
    /// every point N the form carries.
    fn decisions(&self) -> Result<Vec<PointDecision>, FormProblem> {
        let mut decisions = Vec::new();
        for (name, value) in &self.fields {
            let Some(number) = name.strip_prefix("point_outcome_") else {
                continue;
            };
            let point: u32 = number
                .parse()
                .map_err(|_| FormProblem(format!("{name:?} is not a point's field.")))?;
            if value.trim().is_empty() {
                return Err(FormProblem(format!(
                    "Choose whether point {point} is upheld, partly upheld or not upheld."
                )));
            }
            decisions.push(PointDecision {
                point,
                outcome: Outcome::parse(value).map_err(|e| FormProblem(e.to_string()))?,
                reasons: self.text(&format!("point_reasons_{point}")),
            });
        }
        decisions.sort_by_key(|d| d.point);
        Ok(decisions)
    }

    fn choice<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, redress_domain::InvalidValue>,
    ) -> Result<T, FormProblem> {
        parse(&self.text(name)).map_err(|e| FormProblem(e.to_string()))
    }
}

async fn action_from_form(
    state: &AppState,
    kind: ActionKind,
    form: &ActionForm,
) -> Result<ComplaintAction, FormFailure> {
    Ok(match kind {
        ActionKind::Acknowledge => ComplaintAction::Acknowledge {
            apology: form.text("apology"),
        },
        ActionKind::RecordCustomerStatement => ComplaintAction::RecordCustomerStatement {
            channel: form.choice("channel", Channel::parse)?,
            statement: form.text("statement"),
            shared: form.checked("shared"),
        },
        ActionKind::RecordPoints => ComplaintAction::RecordPoints {
            points: split_points(&form.text("points")),
            send: form.checked("send"),
        },
        ActionKind::RecordFact => ComplaintAction::RecordFact {
            fact: form.text("fact"),
            source: form.optional("source"),
        },
        ActionKind::ConcludeInvestigation => ComplaintAction::ConcludeInvestigation {
            findings: form.text("findings"),
        },
        ActionKind::CommitToAction => ComplaintAction::CommitToAction {
            action: form.text("action"),
            due_on: form.date("due_on", "the date it will be done by")?,
            resolve_by: None,
        },
        ActionKind::AssignOwner => {
            let id = Uuid::parse_str(form.text("owner_id").trim())
                .map_err(|_| FormProblem("Choose the person responsible.".into()))?;
            let account = state
                .store
                .accounts
                .get(id)
                .await
                .map_err(FormFailure::Store)?
                .filter(|a| a.active)
                .ok_or_else(|| {
                    FormProblem("That member of staff does not exist or is deactivated.".into())
                })?;
            ComplaintAction::AssignOwner {
                owner: account.member(),
            }
        }
        ActionKind::SendProgressUpdate => ComplaintAction::SendProgressUpdate {
            message: form.text("message"),
            next_update_on: form.date("next_update_on", "the date of the next update")?,
            resolve_by: None,
        },
        ActionKind::WaitOnCustomer => ComplaintAction::WaitOnCustomer {
            request: form.text("request"),
        },
        ActionKind::RecordCustomerResponse => ComplaintAction::RecordCustomerResponse {
            response: form.text("response"),
        },
        ActionKind::Resolve => ComplaintAction::Resolve {
            outcome: match form.optional("outcome") {
                Some(code) => Some(Outcome::parse(&code).map_err(|e| FormProblem(e.to_string()))?),
                None => None,
            },
            decisions: form.decisions()?,
            reasons: form.text("reasons"),
            remedy: form.optional("remedy"),
            redress_paid_cents: match form.optional("redress_paid") {
                None => None,
                Some(amount) => Some(parse_money(&amount)?),
            },
        },
        ActionKind::Close => ComplaintAction::Close,
        ActionKind::Reopen => ComplaintAction::Reopen {
            reason: form.text("reason"),
        },
        ActionKind::RecordSatisfaction => ComplaintAction::RecordSatisfaction {
            score: form
                .text("score")
                .trim()
                .parse()
                .map_err(|_| FormProblem("Choose a score from 1 to 5.".into()))?,
            comment: form.optional("comment"),
            would_change: form.optional("would_change"),
        },
        ActionKind::ChangePriority => ComplaintAction::ChangePriority {
            priority: form.choice("priority", Priority::parse)?,
        },
        ActionKind::ChangeCategory => ComplaintAction::ChangeCategory {
            category: form.text("category"),
        },
        ActionKind::RecordCommunication => ComplaintAction::RecordCommunication {
            direction: form.choice("direction", Direction::parse)?,
            channel: form.choice("channel", Channel::parse)?,
            summary: form.text("summary"),
        },
        ActionKind::ChangeTeam => {
            let id = Uuid::parse_str(form.text("team_id").trim())
                .map_err(|_| FormProblem("Choose the team.".into()))?;
            let team = state
                .store
                .teams
                .get(id)
                .await
                .map_err(|e| FormProblem(format!("The teams could not be read: {e}")))?
                .ok_or_else(|| FormProblem("That team does not exist.".into()))?;
            ComplaintAction::ChangeTeam {
                team: team.reference(),
                reason: form.text("reason"),
            }
        }
        ActionKind::AddTag => ComplaintAction::AddTag {
            tag: form.text("tag"),
        },
        ActionKind::RemoveTag => ComplaintAction::RemoveTag {
            tag: form.text("tag"),
        },
        ActionKind::MergeInto => ComplaintAction::MergeInto {
            survivor: form.choice("survivor", |text| Reference::parse(text.trim()))?,
            // The store reads whether it is open.
            survivor_open: false,
        },
        ActionKind::Link => ComplaintAction::Link {
            other: form.choice("other", |text| Reference::parse(text.trim()))?,
        },
        ActionKind::RecordRootCauses => {
            // One checkbox per cause on the list: `cause_<code>`.
            let causes: Vec<String> = form
                .fields
                .iter()
                .filter(|(name, value)| name.starts_with("cause_") && !value.is_empty())
                .map(|(name, _)| name["cause_".len()..].to_string())
                .collect();
            if let Some(refused) = crate::causes::known(state, &causes)
                .await
                .map_err(FormFailure::Store)?
            {
                return Err(FormProblem(refused).into());
            }
            ComplaintAction::RecordRootCauses { causes }
        }
        ActionKind::ErasePersonalData => {
            return Err(FormProblem(
                "Personal data is erased from the customer's file, for all their complaints at once."
                    .into(),
            )
            .into());
        }
        ActionKind::SendReply | ActionKind::AddInternalNote | ActionKind::AttachFiles => {
            return Err(FormProblem(
                "Replies and notes are written in the conversation box of the complaint page."
                    .into(),
            )
            .into());
        }
    })
}

/// Reads an amount like `24.99` or `24,99` into cents.
fn parse_money(amount: &str) -> Result<i64, FormProblem> {
    let problem = || {
        FormProblem(format!(
            "The redress paid must be an amount like 24.99, not {amount:?}."
        ))
    };
    let normalised = amount.trim().replace(',', ".");
    let (units, cents) = match normalised.split_once('.') {
        Some((units, cents)) if cents.len() <= 2 => (units, format!("{cents:0<2}")),
        Some(_) => return Err(problem()),
        None => (normalised.as_str(), "00".to_string()),
    };
    let units: i64 = units.parse().map_err(|_| problem())?;
    let cents: i64 = cents.parse().map_err(|_| problem())?;
    if units < 0 {
        return Err(FormProblem(
            "The redress paid cannot be negative; enter 0 or more.".into(),
        ));
    }
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .ok_or_else(problem)
}

pub(crate) async fn act(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<ActionForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (reference_text, code) = path.into_inner();
    let kind = ActionKind::from_code(&code)
        .filter(|k| !NOT_ON_THE_PAGE.contains(k))
        .ok_or(AppError::NotFound)?;
    let reference = Reference::parse(&reference_text).map_err(|_| AppError::NotFound)?;
    let failed = |error: String| FailedForm {
        code: kind.code().to_string(),
        error,
        values: form.fields.clone(),
    };
    let token = form.fields.get("form_token").cloned();
    if let Some(token) = &token
        && !state.store.forms.claim(token).await?
    {
        return Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/complaints/{reference}?resubmitted=1#timeline"),
            ))
            .finish());
    }
    let release = |state: web::Data<AppState>, token: Option<String>| async move {
        if let Some(token) = token {
            state.store.forms.release(&token).await?;
        }
        Ok::<(), AppError>(())
    };
    let action = match action_from_form(&state, kind, &form).await {
        Ok(action) => action,
        Err(FormFailure::Store(error)) => {
            release(state.clone(), token).await?;
            return Err(error.into());
        }
        Err(FormFailure::Problem(FormProblem(problem))) => {
            release(state.clone(), token).await?;
            return render_page(
                &state,
                &staff,
                &session,
                &reference_text,
                false,
                Some(failed(problem)),
                422,
                None,
            )
            .await;
        }
    };
    let command = ComplaintCommand::new(Actor::Staff(staff.0.member()), action);
    let result = state.store.complaints.execute(&reference, command).await;
    if result.is_err() {
        // A refused or failed form gives its token back, so the corrected form can be sent.
        release(state.clone(), token).await?;
    }
    match result {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/complaints/{reference}#timeline"),
            ))
            .finish()),
        Err(CommandError::Rejected(rejection)) => {
            render_page(
                &state,
                &staff,
                &session,
                &reference_text,
                false,
                Some(failed(crate::refusals::refusal(
                    staff.language(),
                    &rejection,
                ))),
                422,
                None,
            )
            .await
        }
        Err(CommandError::Conflict) => {
            render_page(
                &state,
                &staff,
                &session,
                &reference_text,
                false,
                Some(failed(CommandError::Conflict.to_string())),
                409,
                None,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

csrf_protected!(ActionForm, CauseForm);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_read_in_cents() {
        let ok = |s: &str| parse_money(s).ok();
        assert_eq!(ok("24.99"), Some(2499));
        assert_eq!(ok("24,9"), Some(2490));
        assert_eq!(ok("7"), Some(700));
        assert_eq!(ok(" 0.05 "), Some(5));
        assert_eq!(ok("1.234"), None);
        assert_eq!(ok("-3"), None);
        assert_eq!(ok("ten"), None);
        assert_eq!(ok("99999999999999999999"), None);
    }
}
