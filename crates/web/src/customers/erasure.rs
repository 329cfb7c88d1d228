//! Customers' rights over their data:
//!
//! - `GET /customers/{id}/export`: everything held about one customer (their details, contact
//!   file, every complaint with every event opened, the emails we sent them, the emails they
//!   sent us, their answers after a complaint and to periodic surveys) as a readable page, or as JSON with `?format=json`;
//! - `GET/POST /customers/{id}/erase`: erasure on request, after a confirmation that names
//!   what goes and asks for the customer's address typed in; the statistics stay.
//!
//! Every export and erasure is recorded in the audit trail (`/admin/audit`,
//! [`crate::admin::audit`]). Admins only (`crate::access`).

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use redress_domain::{Actor, ComplaintChange, CustomerEmail, CustomerId};
use redress_store::AuditAction;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{CurrentStaff, csrf_protected};
use crate::complaints::{opener_for, timeline};
use crate::error::AppError;
use crate::security::audit;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

fn customer_of(path: &str) -> Result<CustomerId, AppError> {
    Uuid::parse_str(path)
        .map(CustomerId)
        .map_err(|_| AppError::NotFound)
}

/// One complaint in an export.
#[derive(Debug, Serialize)]
struct ExportedComplaint {
    reference: String,
    /// What the customer and we said to each other: only what was meant for them (the
    /// domain's audience decides), newest first.
    conversation: Vec<crate::status::Message>,
    /// What staff recorded for each other, by kind and date (their words are staff's
    /// working notes, not something we told the customer).
    kept_for_staff: Vec<StaffRecord>,
    /// Emails we sent: (kind, state, sent at).
    emails_sent: Vec<ExportedEmail>,
}

/// A record staff kept for each other, as an export lists it.
#[derive(Debug, Serialize)]
struct StaffRecord {
    at: DateTime<Utc>,
    what: String,
}

/// An email we sent, as listed in an export.
#[derive(Debug, Serialize)]
struct ExportedEmail {
    kind: String,
    state: String,
    sent_at: Option<DateTime<Utc>>,
}

/// Everything held about a customer.
#[derive(Debug, Serialize)]
struct Export {
    exported_at: DateTime<Utc>,
    customer_id: Uuid,
    /// Whether their personal data was erased (what remains is not personal).
    erased: bool,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    language: String,
    companies: Vec<String>,
    contact_file: Option<ContactFile>,
    complaints: Vec<ExportedComplaint>,
    /// Their answers to periodic surveys (their words gone once erased).
    periodic_survey_answers: Vec<redress_store::surveys::SurveyAnswer>,
}

/// The contact file's notes about them.
#[derive(Debug, Serialize)]
struct ContactFile {
    major_contact: bool,
    title: String,
    notes: String,
}

/// Everything held about `customer`, read from the events (every complaint of theirs, however
/// many, and however far the read models are behind).
async fn gather(state: &AppState, customer: CustomerId) -> Result<Export, AppError> {
    let references = state.store.complaints.references_of(customer).await?;
    if references.is_empty() {
        return Err(AppError::NotFound);
    }
    let opener = opener_for(state, customer).await?;
    // The export speaks English, as its conversation does (`crate::status::messages` in
    // English below): it is the customer's file, not a staff page.
    let categories = state.store.categories.map().await?;
    let erased = !opener.holds_key();
    let mut complaints = Vec::with_capacity(references.len());
    let mut companies: Vec<String> = Vec::new();
    let (mut name, mut email, mut phone, mut language) = (None, None, None, String::new());
    let mut latest = None;
    for reference in &references {
        let events = state.store.complaints.events_of(reference).await?;
        if let Some(ComplaintChange::ComplaintReceived {
            customer: who,
            company,
            language: spoken,
            ..
        }) = events.first().map(|e| &e.change)
        {
            if let Some(company) = company
                && !companies.contains(company)
            {
                companies.push(company.clone());
            }
            // The details as the newest complaint gave them.
            let received = events.first().map(|e| e.occurred_at);
            if received >= latest {
                latest = received;
                if !erased {
                    name = Some(opener.open(&who.name));
                    email = who.email.as_ref().map(|e| opener.open(e));
                    phone = who.phone.as_ref().map(|p| opener.open(p));
                }
                language = spoken.code().to_string();
            }
        }
        let emails_sent = state
            .store
            .outbox
            .of_complaint(reference.as_str())
            .await?
            .into_iter()
            // Only what went to them: the SLA alerts about their complaint went to staff.
            .filter(|m| m.customer_id == customer.0)
            .map(|m| ExportedEmail {
                kind: m.kind,
                state: m.state,
                sent_at: m.sent_at,
            })
            .collect();
        complaints.push(ExportedComplaint {
            reference: reference.to_string(),
            conversation: crate::status::messages(
                redress_domain::Language::En,
                &state.currency,
                &events,
                &opener,
            ),
            kept_for_staff: timeline(&events, &opener, redress_domain::Language::En, &categories)
                .into_iter()
                .filter(|entry| entry.audience == redress_domain::Audience::Staff)
                .map(|entry| StaffRecord {
                    at: entry.at,
                    what: entry.title,
                })
                .collect(),
            emails_sent,
        });
    }
    let notes = state.store.companies.contact(customer).await?;
    Ok(Export {
        exported_at: state.store.clock.now(),
        customer_id: customer.0,
        erased,
        name,
        email,
        phone,
        language,
        companies,
        contact_file: (!erased).then_some(ContactFile {
            major_contact: notes.major,
            title: notes.title,
            notes: notes.notes,
        }),
        complaints,
        periodic_survey_answers: state.store.surveys.answers_of_customer(customer).await?,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportQuery {
    format: Option<String>,
}

/// GET /customers/{id}/export
pub(crate) async fn export(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let customer = customer_of(&path)?;
    let json = match query.format.as_deref() {
        None | Some("html") => false,
        Some("json") => true,
        Some(other) => {
            return Err(AppError::BadForm(crate::locale::text_with(
                staff.language(),
                "note-bad-export-format",
                &[(
                    "value",
                    format!("{:?}", other.chars().take(20).collect::<String>()),
                )],
            )));
        }
    };
    let export = gather(&state, customer).await?;
    audit(
        &state,
        &request,
        &staff,
        AuditAction::CustomerExported,
        &customer.0.to_string(),
        if json { "as JSON" } else { "as a page" },
    )
    .await?;
    if json {
        let body =
            serde_json::to_string_pretty(&export).map_err(|e| AppError::Internal(e.into()))?;
        return Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"customer-{}.json\"", customer.0),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(body));
    }
    let mut context = page_context(&staff, &session)?;
    context.insert("export", &export);
    render(&state, "customers/export.html", &context, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm_email: String,
    #[serde(default)]
    reason: String,
}

async fn render_erase(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    customer: CustomerId,
    error: Option<&str>,
    form: &EraseForm,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let references = state.store.complaints.references_of(customer).await?;
    if references.is_empty() {
        return Err(AppError::NotFound);
    }
    let export = gather(state, customer).await?;
    let mut context = page_context(staff, session)?;
    context.insert("customer_id", &customer.0);
    context.insert("name", &export.name);
    context.insert("has_email", &export.email.is_some());
    context.insert("erased", &export.erased);
    context.insert(
        "references",
        &references.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
    );
    context.insert("error", &error);
    context.insert("reason", &form.reason);
    render(state, "customers/erase.html", &context, status)
}

/// GET /customers/{id}/erase: what erasure takes, and the confirmation.
pub(crate) async fn erase_page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let customer = customer_of(&path)?;
    let form = EraseForm {
        csrf: String::new(),
        confirm_email: String::new(),
        reason: crate::locale::text(staff.language(), "note-erase-default-reason"),
    };
    render_erase(&state, &staff, &session, customer, None, &form, 200).await
}

/// POST /customers/{id}/erase: erases once the customer's address is typed in.
pub(crate) async fn erase(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<EraseForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let customer = customer_of(&path)?;
    let reason = form.reason.trim();
    // The address typed must be the one this customer is known by (its digest, kept with
    // their key): no read model involved.
    // A customer who gave no address is confirmed by their name, as it is on file.
    let export = gather(&state, customer).await?;
    let confirmed = match (&export.email, &export.name) {
        (None, Some(name)) => {
            !name.trim().is_empty()
                && form.confirm_email.trim().to_lowercase() == name.trim().to_lowercase()
        }
        _ => match CustomerEmail::parse(form.confirm_email.trim()) {
            Ok(typed) => state.store.vault.find_customer(&typed).await? == Some(customer),
            Err(_) => false,
        },
    };
    let refusal = if state.store.vault.key(customer).await?.is_none() {
        Some("note-already-erased")
    } else if !confirmed {
        Some(if export.email.is_some() {
            "note-confirm-email"
        } else {
            "note-confirm-name"
        })
    } else if reason.is_empty() || reason.chars().count() > 200 || reason.contains(['\n', '\r']) {
        Some("note-erase-reason")
    } else {
        None
    }
    .map(|key| crate::locale::text(staff.language(), key));
    if let Some(refusal) = refusal {
        return render_erase(
            &state,
            &staff,
            &session,
            customer,
            Some(&refusal),
            &form,
            422,
        )
        .await;
    }
    let report = state
        .store
        .complaints
        .erase_customer(customer, Actor::Staff(staff.0.member()), reason)
        .await?;
    audit(
        &state,
        &request,
        &staff,
        AuditAction::CustomerErased,
        &customer.0.to_string(),
        &format!("{reason}; {} complaint(s)", report.complaints.len()),
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/customers/{}?done=erased", customer.0),
        ))
        .finish())
}

csrf_protected!(EraseForm);
