//! `/customers/{id}`: a contact's file (their details, their complaints and scores, and every
//! communication with them across complaints), and what admins do with a customer's data
//! ([`erasure`]: the export and the erasure).
//!
//! Every member of staff may read files and keep notes.

pub mod erasure;

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use redress_domain::{CustomerId, Reference};
use redress_store::FileError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{CurrentStaff, csrf_protected};
use crate::companies::{ListQuery, file_error, notice, parse_id};
use crate::complaints::queue::{QueueRow, queue_row};
use crate::complaints::{TimelineEntry, communication_direction, opener_for, timeline_entry};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// Complaints whose communications a contact's file reads.
const LOG_COMPLAINTS: usize = 25;
/// Communications a contact's file shows.
const LOG_ENTRIES: usize = 200;

/// The contact's edit form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct ContactForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    /// Present (any value) when ticked.
    #[serde(default)]
    major: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    notes: String,
}

/// One communication in a contact's log.
#[derive(Debug, Serialize)]
struct LogEntry {
    reference: String,
    direction: String,
    inbound: bool,
    #[serde(flatten)]
    entry: TimelineEntry,
}

/// A company a contact complained for.
#[derive(Debug, Serialize)]
struct CompanyLink {
    id: Uuid,
    name: String,
}

async fn render_contact(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    customer: CustomerId,
    notice: Option<String>,
    failed: Option<(String, ContactForm)>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let rows = state.store.complaint_list.of_customer(customer).await?;
    let Some(latest) = rows.first().cloned() else {
        return Err(AppError::NotFound);
    };
    let now = Utc::now();
    let mut companies: BTreeMap<Uuid, String> = BTreeMap::new();
    let (mut total, mut rated) = (0i64, 0i64);
    for row in &rows {
        if let (Some(id), Some(name)) = (row.company_id, &row.company) {
            companies.entry(id).or_insert_with(|| name.clone());
        }
        if let Some(score) = row.satisfaction_score {
            total += i64::from(score);
            rated += 1;
        }
    }
    let opener = opener_for(state, customer).await?;
    let language = staff.language();
    let categories = state.store.categories.map().await?;
    // Erased once their key is gone, whatever the list (a projection) says yet: the page
    // after an erasure shows none of them (read your own writes).
    let erased = !opener.holds_key() || rows.iter().all(|r| r.personal_data_erased);
    let mut log: Vec<LogEntry> = Vec::new();
    for row in rows.iter().take(LOG_COMPLAINTS) {
        let reference = Reference::parse(&row.reference)
            .map_err(|e| AppError::Internal(format!("a stored reference: {e}").into()))?;
        let events = state.store.complaints.events_of(&reference).await?;
        for (i, event) in events.iter().enumerate() {
            if let Some(direction) = communication_direction(&event.change) {
                log.push(LogEntry {
                    reference: row.reference.clone(),
                    direction: crate::locale::label(
                        language,
                        "direction",
                        direction.code(),
                        direction.label(),
                    ),
                    inbound: direction == redress_domain::Direction::Inbound,
                    entry: timeline_entry(
                        i + 1,
                        event,
                        events.get(i + 1),
                        &opener,
                        language,
                        &categories,
                    ),
                });
            }
        }
    }
    log.sort_by_key(|l| std::cmp::Reverse(l.entry.at));
    log.truncate(LOG_ENTRIES);
    let notes = state.store.companies.contact(customer).await?;
    let (error, form) = match failed {
        Some((error, form)) => (Some(error), form),
        None => (
            None,
            ContactForm {
                major: notes.major.then(|| "on".into()),
                title: notes.title.clone(),
                notes: notes.notes.clone(),
                ..ContactForm::default()
            },
        ),
    };
    let complaints: Vec<QueueRow> = rows
        .into_iter()
        .map(|row| queue_row(row, now, &categories, language))
        .collect();
    let mut context = page_context(staff, session)?;
    context.insert("customer_id", &customer.0);
    context.insert("name", &latest.customer_name);
    context.insert("email", &latest.customer_email);
    context.insert("phone", &latest.customer_phone);
    // As the complaint page names it ("Română", not "ro").
    context.insert(
        "language",
        &redress_domain::Language::parse(&latest.language)
            .map_or_else(|_| latest.language.clone(), |l| l.label().to_string()),
    );
    context.insert("erased", &erased);
    context.insert(
        "companies",
        &companies
            .into_iter()
            .map(|(id, name)| CompanyLink { id, name })
            .collect::<Vec<_>>(),
    );
    context.insert("complaints", &complaints);
    context.insert(
        "satisfaction",
        &(rated > 0).then(|| total as f64 / rated as f64),
    );
    context.insert("rated", &rated);
    context.insert("log", &log);
    context.insert("log_complaints", &LOG_COMPLAINTS);
    context.insert("contact", &notes);
    context.insert("form", &form);
    context.insert(
        "survey_answers",
        &state.store.surveys.answers_of_customer(customer).await?,
    );
    context.insert("error", &error);
    context.insert("notice", &notice);
    render(state, "customers/show.html", &context, status)
}

/// GET /customers/{id}
pub(crate) async fn contact(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let customer = CustomerId(parse_id(&path)?);
    render_contact(
        &state,
        &staff,
        &session,
        customer,
        notice(staff.language(), query.done.as_deref()),
        None,
        200,
    )
    .await
}

/// POST /customers/{id}
pub(crate) async fn update_contact(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<ContactForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let customer = CustomerId(parse_id(&path)?);
    let rows = state.store.complaint_list.of_customer(customer).await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    let refuse = |message: &str, form: ContactForm| {
        render_contact(
            &state,
            &staff,
            &session,
            customer,
            None,
            Some((message.to_string(), form)),
            422,
        )
    };
    if rows.iter().all(|r| r.personal_data_erased) {
        return refuse(
            &crate::locale::text(staff.language(), "note-contact-erased"),
            form,
        )
        .await;
    }
    match state
        .store
        .companies
        .update_contact(
            customer,
            form.major.is_some(),
            &form.title,
            &form.notes,
            &staff.0.name,
        )
        .await
    {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/customers/{}?done=saved", customer.0),
            ))
            .finish()),
        Err(FileError::Invalid(message)) => refuse(&message, form).await,
        Err(other) => Err(file_error(other)),
    }
}

csrf_protected!(ContactForm);
