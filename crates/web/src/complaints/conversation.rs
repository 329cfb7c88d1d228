//! The conversation with the customer, on the complaint page: replies in our own words (with
//! files, perhaps from a saved reply, emailed in the complaint's thread), internal notes for
//! staff (mentioning colleagues with `@name`), and the points of complaint as the page shows
//! them.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use redress_domain::{
    ActionKind, Actor, Complaint, ComplaintAction, ComplaintChange, ComplaintCommand,
    ComplaintEvent, Language, Reference, StaffMember, mentions, placeholders,
};
use redress_notify::render::long_date;
use redress_store::CommandError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::page::{FailedForm, render_page};
use super::timeline::Opener;
use crate::AppState;
use crate::auth::{CurrentStaff, check_csrf, csrf_protected};
use crate::error::AppError;
use crate::signed::Signed;
use crate::uploads::{self, UploadLimits};

/// The conversation box of the complaint page.
#[derive(Debug, Serialize)]
pub(crate) struct Composer {
    /// A reply can be written now (not closed, personal data held).
    can_reply: bool,
    /// A note can be written now (personal data held).
    can_note: bool,
    /// The language the customer reads (a reply goes in it).
    language: &'static str,
    /// The saved replies on offer, filled in for this complaint in its language.
    saved: Vec<SavedView>,
    /// The limits on files.
    max_file_mb: String,
    max_files: usize,
    /// How colleagues can be mentioned: `@handle` (name).
    colleagues: Vec<(String, String)>,
}

/// A saved reply, filled in for the complaint.
#[derive(Debug, Serialize)]
struct SavedView {
    id: String,
    title: String,
    body: String,
}

/// The points of complaint as the page shows them.
#[derive(Debug, Serialize)]
pub(crate) struct PointsView {
    points: Vec<String>,
    sent: bool,
    at: DateTime<Utc>,
    by: String,
}

impl PointsView {
    /// How many points there are.
    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }
}

/// The language the complaint's customer is written to in.
fn language_of(events: &[ComplaintEvent]) -> Language {
    match events.first().map(|e| &e.change) {
        Some(ComplaintChange::ComplaintReceived { language, .. }) => *language,
        _ => Language::En,
    }
}

/// The values of a saved reply's placeholders for this complaint, as the customer reads them.
fn placeholder_values(
    events: &[ComplaintEvent],
    complaint: &Complaint,
    opener: &Opener,
) -> BTreeMap<&'static str, String> {
    let language = language_of(events);
    let mut values = BTreeMap::new();
    if let Some(ComplaintChange::ComplaintReceived {
        customer,
        reference,
        ..
    }) = events.first().map(|e| &e.change)
    {
        if opener.holds_key() {
            values.insert("customer_name", opener.open(&customer.name));
        }
        values.insert("reference", reference.to_string());
    }
    if let Some(owner) = complaint.owner() {
        values.insert("owner", owner.name.clone());
    }
    if let Some(commitment) = complaint.commitment() {
        values.insert("commitment", commitment.action.clone());
        values.insert("commitment_date", long_date(commitment.due_on, language));
    }
    if let Some(next) = events.iter().rev().find_map(|e| match &e.change {
        ComplaintChange::ProgressUpdateSent { next_update_on, .. } => Some(*next_update_on),
        _ => None,
    }) {
        values.insert("next_update_date", long_date(next, language));
    }
    values
}

/// The conversation box for a complaint as it stands.
pub(crate) async fn composer(
    state: &AppState,
    events: &[ComplaintEvent],
    complaint: &Complaint,
    opener: &Opener,
) -> Result<Composer, AppError> {
    let language = language_of(events);
    let values = placeholder_values(events, complaint, opener);
    let saved = state
        .store
        .saved_replies
        .list()
        .await?
        .into_iter()
        .filter(|r| !r.archived)
        .map(|r| SavedView {
            id: r.id.to_string(),
            body: placeholders::fill(r.body(language), &values),
            title: r.title,
        })
        .collect();
    let colleagues = state
        .store
        .accounts
        .active()
        .await?
        .into_iter()
        .filter_map(|a| {
            mentions::handles_of(&a.name, &a.email)
                .into_iter()
                .next()
                .map(|handle| (handle, a.name))
        })
        .collect();
    Ok(Composer {
        can_reply: complaint.check_allowed(ActionKind::SendReply).is_ok(),
        can_note: complaint.check_allowed(ActionKind::AddInternalNote).is_ok(),
        language: language.label(),
        saved,
        max_file_mb: state.uploads.max_file_mb(),
        max_files: state.uploads.max_files,
        colleagues,
    })
}

/// The points of complaint as last recorded, opened.
pub(crate) fn points(events: &[ComplaintEvent], opener: &Opener) -> Option<PointsView> {
    events.iter().rev().find_map(|e| match &e.change {
        ComplaintChange::PointsOfComplaintRecorded { points, sent } => Some(PointsView {
            points: points.iter().map(|p| opener.open(p)).collect(),
            sent: *sent,
            at: e.occurred_at,
            by: e.by.display_name().to_string(),
        }),
        _ => None,
    })
}

/// Shows the page again with the composer's form filled (`failed.code`: `send_reply` or
/// `add_internal_note`) and its error beside it (none when a saved reply was inserted).
async fn again(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    reference: &str,
    failed: FailedForm,
    status: u16,
) -> Result<HttpResponse, AppError> {
    render_page(
        state,
        staff,
        session,
        reference,
        false,
        Some(failed),
        status,
        None,
    )
    .await
}

fn to_timeline(reference: &Reference) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/complaints/{reference}#timeline"),
        ))
        .finish()
}

fn resubmitted(reference: &Reference) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/complaints/{reference}?resubmitted=1#timeline"),
        ))
        .finish()
}

/// POST /complaints/{reference}/reply: a reply to the customer, with its files; or, with
/// `insert` set to a saved reply's id, the page again with that reply in the box (for
/// browsers without the script that inserts it on the spot).
pub(crate) async fn reply(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, AppError> {
    let reference_text = path.into_inner();
    let reference = Reference::parse(&reference_text).map_err(|_| AppError::NotFound)?;
    let limits: UploadLimits = state.uploads;
    let upload = match uploads::read(form, limits).await {
        Ok(upload) => upload,
        Err(refusal) => {
            // The form could not be read whole: its words are lost with it.
            return again(
                &state,
                &staff,
                &session,
                &reference_text,
                FailedForm {
                    code: "send_reply".into(),
                    error: refusal.message(),
                    values: BTreeMap::new(),
                },
                refusal.status(),
            )
            .await;
        }
    };
    check_csrf(&session, &upload.text("csrf"))?;
    let message = upload.text("message");
    let saved_reply = upload
        .fields
        .get("saved_reply")
        .and_then(|id| Uuid::parse_str(id.trim()).ok());
    let values = BTreeMap::from([
        ("message".to_string(), message.clone()),
        (
            "saved_reply".to_string(),
            saved_reply.map(|id| id.to_string()).unwrap_or_default(),
        ),
    ]);
    if let Some(insert) = upload.fields.get("insert") {
        let (_, events, complaint) = super::load(&state, &reference_text).await?;
        let customer = complaint.customer().ok_or(AppError::NotFound)?;
        let opener = super::opener_for(&state, customer).await?;
        // The button carries the reply's id, or the list beside it says which.
        let chosen = match Uuid::parse_str(insert.trim()).ok().or(saved_reply) {
            Some(id) => state.store.saved_replies.get(id).await?,
            None => None,
        };
        let Some(chosen) = chosen.filter(|r| !r.archived) else {
            return again(
                &state,
                &staff,
                &session,
                &reference_text,
                FailedForm {
                    code: "send_reply".into(),
                    error: "Choose a saved reply to insert.".into(),
                    values,
                },
                422,
            )
            .await;
        };
        let filled = placeholders::fill(
            chosen.body(language_of(&events)),
            &placeholder_values(&events, &complaint, &opener),
        );
        let mut values = values;
        let message = if message.trim().is_empty() {
            filled
        } else {
            format!("{}\n\n{filled}", message.trim_end())
        };
        values.insert("message".into(), message);
        values.insert("saved_reply".into(), chosen.id.to_string());
        return again(
            &state,
            &staff,
            &session,
            &reference_text,
            FailedForm {
                code: "send_reply".into(),
                error: String::new(),
                values,
            },
            200,
        )
        .await;
    }
    let token = upload.fields.get("form_token").cloned();
    if let Some(token) = &token
        && !state.store.forms.claim(token).await?
    {
        return Ok(resubmitted(&reference));
    }
    // A reply's files are stored, sealed, before the command that names them; a refused
    // command takes them away again.
    let (_, _, complaint) = super::load(&state, &reference_text).await?;
    let mut stored = Vec::new();
    let refused = |error: String| {
        again(
            &state,
            &staff,
            &session,
            &reference_text,
            FailedForm {
                code: "send_reply".into(),
                error,
                values: values.clone(),
            },
            422,
        )
    };
    if message.trim().is_empty() {
        release(&state, &token).await?;
        return refused("Write the reply before sending it.".into()).await;
    }
    if complaint.check_allowed(ActionKind::SendReply).is_ok()
        && let Some(customer) = complaint.customer()
    {
        stored = upload
            .store_files(&state.store, reference.as_str(), customer)
            .await?;
    }
    let command = ComplaintCommand::new(
        Actor::Staff(staff.0.member()),
        ComplaintAction::SendReply {
            message,
            attachments: stored.clone(),
            saved_reply,
        },
    );
    match state.store.complaints.execute(&reference, command).await {
        Ok(()) => Ok(to_timeline(&reference)),
        Err(error) => {
            uploads::discard(&state.store, &stored).await?;
            release(&state, &token).await?;
            match error {
                CommandError::Rejected(rejection) => {
                    refused(crate::refusals::refusal(staff.language(), &rejection)).await
                }
                CommandError::Conflict => refused(CommandError::Conflict.to_string()).await,
                other => Err(other.into()),
            }
        }
    }
}

/// Gives a form's one-time token back, so the corrected form can be sent.
async fn release(state: &AppState, token: &Option<String>) -> Result<(), AppError> {
    if let Some(token) = token {
        state.store.forms.release(token).await?;
    }
    Ok(())
}

/// The internal note form.
#[derive(Debug, Deserialize)]
pub(crate) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    form_token: Option<String>,
    #[serde(default)]
    note: String,
}

/// The colleagues a note mentions, or why a mention names nobody (or several people).
pub(crate) async fn mentioned(
    state: &AppState,
    note: &str,
) -> Result<Result<Vec<StaffMember>, String>, redress_store::StoreError> {
    let handles = mentions::handles(note);
    if handles.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let staff = state.store.accounts.active().await?;
    let mut found = Vec::new();
    for handle in handles {
        let by_handle: Vec<_> = staff
            .iter()
            .filter(|a| mentions::handles_of(&a.name, &a.email).contains(&handle))
            .collect();
        let by_first: Vec<_> = staff
            .iter()
            .filter(|a| mentions::first_name(&a.name).as_deref() == Some(handle.as_str()))
            .collect();
        let person = match (by_handle.as_slice(), by_first.as_slice()) {
            ([one], _) | ([], [one]) => *one,
            ([], []) => {
                return Ok(Err(format!(
                    "No colleague answers to @{handle}; mention someone by the part of their email address before the @, e.g. @{}.",
                    staff
                        .first()
                        .and_then(|a| mentions::handles_of(&a.name, &a.email).into_iter().next())
                        .unwrap_or_else(|| "lucia".into())
                )));
            }
            _ => {
                return Ok(Err(format!(
                    "@{handle} could be several colleagues; mention them by the part of their email address before the @."
                )));
            }
        };
        found.push(person.member());
    }
    Ok(Ok(found))
}

/// POST /complaints/{reference}/note: a note for staff only; the colleagues it mentions hear
/// of it.
pub(crate) async fn note(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<NoteForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let reference_text = path.into_inner();
    let reference = Reference::parse(&reference_text).map_err(|_| AppError::NotFound)?;
    let values = BTreeMap::from([("note".to_string(), form.note.clone())]);
    let refuse = |error: String, status: u16| {
        again(
            &state,
            &staff,
            &session,
            &reference_text,
            FailedForm {
                code: "add_internal_note".into(),
                error,
                values: values.clone(),
            },
            status,
        )
    };
    let mentions = match mentioned(&state, &form.note).await? {
        Ok(mentions) => mentions,
        Err(why) => return refuse(why, 422).await,
    };
    if let Some(token) = &form.form_token
        && !state.store.forms.claim(token).await?
    {
        return Ok(resubmitted(&reference));
    }
    let command = ComplaintCommand::new(
        Actor::Staff(staff.0.member()),
        ComplaintAction::AddInternalNote {
            note: form.note.clone(),
            mentions,
        },
    );
    let result = state.store.complaints.execute(&reference, command).await;
    if result.is_err()
        && let Some(token) = &form.form_token
    {
        state.store.forms.release(token).await?;
    }
    match result {
        Ok(()) => Ok(to_timeline(&reference)),
        Err(CommandError::Rejected(rejection)) => {
            refuse(crate::refusals::refusal(staff.language(), &rejection), 422).await
        }
        Err(CommandError::Conflict) => refuse(CommandError::Conflict.to_string(), 409).await,
        Err(other) => Err(other.into()),
    }
}

csrf_protected!(NoteForm);
