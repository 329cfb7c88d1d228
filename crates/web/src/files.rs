//! Company and contact files: the list of companies, a company's file (tier, notes, major
//! contacts, complaint history, satisfaction) and a contact's file (their details, their
//! complaints and scores, and every communication with them across complaints).
//!
//! Every member of staff may read files and keep notes; only managers and admins change a
//! company's tier, because SLA targets depend on it.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use redress_domain::{CustomerId, Reference, Tier};
use redress_store::{FileError, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{CurrentStaff, check_csrf};
use crate::complaints::{TimelineEntry, communication_direction, opener_for, timeline_entry};
use crate::error::AppError;
use crate::queue::{QueueRow, queue_row};
use crate::{AppState, page_context, render};

/// Companies listed on one page.
const LIST_LIMIT: i64 = 200;
/// Complaints whose communications a contact's file reads.
const LOG_COMPLAINTS: usize = 25;
/// Communications a contact's file shows.
const LOG_ENTRIES: usize = 200;

fn tiers() -> Vec<(&'static str, &'static str)> {
    Tier::options()
}

fn file_error(error: FileError) -> AppError {
    match error {
        FileError::NotFound => AppError::NotFound,
        FileError::Invalid(message) => AppError::Rejected(message),
        FileError::Store(error) => error.into(),
    }
}

fn parse_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

/// The one-line notice after a change (`?done=…`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The "open a company file" form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct NewCompanyForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    notes: String,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "opened" => "The company's file was opened.",
        "existed" => "This company already had a file; here it is.",
        "saved" => "The file was saved.",
        "erased" => "The customer's personal data was erased; their complaints keep their figures.",
        _ => return None,
    })
}

async fn render_list(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    search: &str,
    form: &NewCompanyForm,
    error: Option<String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let companies = state.store.companies.list(search, LIST_LIMIT).await?;
    let mut context = page_context(staff, session)?;
    context.insert("companies", &companies);
    context.insert("q", search);
    context.insert("form", form);
    context.insert("error", &error);
    context.insert("tiers", &tiers());
    context.insert("may_set_tier", &(staff.0.role >= Role::Manager));
    render(state, "companies/list.html", &context, status)
}

/// GET /companies
pub(crate) async fn list(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let search = query.q.as_deref().unwrap_or("").trim().to_string();
    if search.chars().count() > 200 {
        return Err(AppError::BadForm(
            "The search is too long: at most 200 characters.".into(),
        ));
    }
    render_list(
        &state,
        &staff,
        &session,
        &search,
        &NewCompanyForm::default(),
        None,
        200,
    )
    .await
}

/// The tier a form asks for; only managers and admins may ask for anything but standard.
fn requested_tier(staff: &CurrentStaff, code: &str, current: Tier) -> Result<Tier, AppError> {
    let tier = if code.trim().is_empty() {
        current
    } else {
        Tier::parse(code).map_err(|e| AppError::BadForm(e.to_string()))?
    };
    if tier != current {
        staff.require(Role::Manager)?;
    }
    Ok(tier)
}

/// POST /companies
pub(crate) async fn create(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    form: web::Form<NewCompanyForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let form = form.into_inner();
    let tier = requested_tier(&staff, &form.tier, Tier::Standard)?;
    match state
        .store
        .companies
        .open_file(&form.name, tier, &form.notes, &staff.0.name)
        .await
    {
        Ok((id, created)) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!(
                    "/companies/{id}?done={}",
                    if created { "opened" } else { "existed" }
                ),
            ))
            .finish()),
        Err(FileError::Invalid(message)) => {
            render_list(&state, &staff, &session, "", &form, Some(message), 422).await
        }
        Err(other) => Err(file_error(other)),
    }
}

/// The company's edit form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct CompanyForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    notes: String,
}

async fn render_company(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    id: Uuid,
    notice: Option<&'static str>,
    failed: Option<(String, CompanyForm)>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let company = state
        .store
        .companies
        .get(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let complaints: Vec<QueueRow> = state
        .store
        .companies
        .complaints_of(id)
        .await?
        .into_iter()
        .map(|row| queue_row(row, now))
        .collect();
    let contacts = state.store.companies.contacts_of(id).await?;
    let mut context = page_context(staff, session)?;
    let (error, form) = match failed {
        Some((error, form)) => (Some(error), form),
        None => (
            None,
            CompanyForm {
                tier: company.tier.code().into(),
                notes: company.notes.clone(),
                ..CompanyForm::default()
            },
        ),
    };
    context.insert("company", &company);
    context.insert("tier_label", company.tier.label());
    context.insert("complaints", &complaints);
    context.insert("history_limit", &redress_store::companies::HISTORY_LIMIT);
    context.insert("contacts", &contacts);
    context.insert("notice", &notice);
    context.insert("error", &error);
    context.insert("form", &form);
    context.insert("tiers", &tiers());
    context.insert("may_set_tier", &(staff.0.role >= Role::Manager));
    render(state, "companies/show.html", &context, status)
}

/// GET /companies/{id}
pub(crate) async fn show(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    render_company(
        &state,
        &staff,
        &session,
        id,
        notice(query.done.as_deref()),
        None,
        200,
    )
    .await
}

/// POST /companies/{id}
pub(crate) async fn update(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<String>,
    form: web::Form<CompanyForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let id = parse_id(&path)?;
    let form = form.into_inner();
    let current = state
        .store
        .companies
        .get(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tier = requested_tier(&staff, &form.tier, current.tier)?;
    match state
        .store
        .companies
        .update(id, tier, &form.notes, &staff.0.name)
        .await
    {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/companies/{id}?done=saved")))
            .finish()),
        Err(FileError::Invalid(message)) => {
            render_company(
                &state,
                &staff,
                &session,
                id,
                None,
                Some((message, form)),
                422,
            )
            .await
        }
        Err(other) => Err(file_error(other)),
    }
}

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
    direction: &'static str,
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
    notice: Option<&'static str>,
    failed: Option<(String, ContactForm)>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let rows = state.store.companies.complaints_from(customer).await?;
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
    // Erased once their key is gone, whatever the list (a projection) says yet: the page
    // after an erasure shows none of them (read your own writes).
    let erased = !opener.holds_key() || rows.iter().all(|r| r.personal_data_erased);
    let mut log: Vec<LogEntry> = Vec::new();
    for row in rows.iter().take(LOG_COMPLAINTS) {
        let reference = Reference::parse(&row.reference)
            .map_err(|e| AppError::Internal(format!("a stored reference: {e}")))?;
        let events = state.store.complaints.events_of(&reference).await?;
        for (i, event) in events.iter().enumerate() {
            if let Some(direction) = communication_direction(&event.change) {
                log.push(LogEntry {
                    reference: row.reference.clone(),
                    direction: direction.label(),
                    inbound: direction == redress_domain::Direction::Inbound,
                    entry: timeline_entry(i + 1, event, events.get(i + 1), &opener),
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
    let complaints: Vec<QueueRow> = rows.into_iter().map(|row| queue_row(row, now)).collect();
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
    context.insert("error", &error);
    context.insert("notice", &notice);
    render(state, "customers/show.html", &context, status)
}

/// GET /customers/{id}
pub(crate) async fn contact(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let customer = CustomerId(parse_id(&path)?);
    render_contact(
        &state,
        &staff,
        &session,
        customer,
        notice(query.done.as_deref()),
        None,
        200,
    )
    .await
}

/// POST /customers/{id}
pub(crate) async fn update_contact(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let customer = CustomerId(parse_id(&path)?);
    let form = form.into_inner();
    let rows = state.store.companies.complaints_from(customer).await?;
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
            "This customer's personal data was erased; nothing more can be kept about them.",
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
