//! `/companies`: the list of companies and a company's file (tier, notes, major contacts,
//! complaint history, satisfaction). A contact's file is `/customers/{id}` ([`crate::customers`]).
//!
//! Every member of staff may read files, keep notes and record meetings; only managers and
//! admins change a company's tier (SLA targets depend on it) or its account owner. Meetings,
//! owners and the key accounts' list are [`crate::key_accounts`].

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use redress_domain::{Language, Tier};
use redress_store::{FileError, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{CurrentStaff, csrf_protected};
use crate::complaints::queue::{QueueRow, queue_row};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, locale, page_context, render};

/// Companies listed on one page.
const LIST_LIMIT: i64 = 200;

/// The tiers to choose from, in `language`: (code, words).
pub(crate) fn tiers(language: Language) -> Vec<(&'static str, String)> {
    locale::options(language, "tier", &Tier::options())
}

pub(crate) fn file_error(error: FileError) -> AppError {
    match error {
        FileError::NotFound => AppError::NotFound,
        FileError::Invalid(message) => AppError::Rejected(message),
        FileError::Store(error) => error.into(),
    }
}

pub(crate) fn parse_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

/// The one-line notice after a change (`?done=…`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub(crate) q: Option<String>,
    #[serde(default)]
    pub(crate) done: Option<String>,
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

/// The one-line notice after a change (`?done=…`), in `language`.
pub(crate) fn notice(language: Language, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "opened" => "note-company-opened",
        "existed" => "note-company-existed",
        "saved" => "note-file-saved",
        "erased" => "note-customer-erased",
        "meeting" => "note-meeting-recorded",
        "owner" => "note-owner-saved",
        _ => return None,
    };
    Some(locale::text(language, key))
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
    context.insert("tiers", &tiers(staff.language()));
    context.insert("may_set_tier", &(staff.0.role >= Role::Manager));
    render(state, "companies/list.html", &context, status)
}

/// GET /companies
pub(crate) async fn list(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let search = query.q.as_deref().unwrap_or("").trim().to_string();
    if search.chars().count() > 200 {
        return Err(AppError::BadForm(locale::text(
            staff.language(),
            "note-search-too-long",
        )));
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
        Tier::parse(code).map_err(|e| {
            AppError::BadForm(crate::refusals::refusal(
                staff.language(),
                &redress_domain::ComplaintError::Invalid(e),
            ))
        })?
    };
    if tier != current {
        staff.require(Role::Manager)?;
    }
    Ok(tier)
}

/// POST /companies
pub(crate) async fn create(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<NewCompanyForm>,
) -> Result<HttpResponse, AppError> {
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

/// The "record a meeting or call" form.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub(crate) struct MeetingForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    pub(crate) held_on: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) contact: String,
    #[serde(default)]
    pub(crate) who: String,
    #[serde(default)]
    pub(crate) agreed: String,
    #[serde(default)]
    pub(crate) next_due: String,
}

/// A form on the company's page that was refused: shown again beside its form, with what to fix.
pub(crate) enum Failed {
    /// The file's tier and notes.
    File(String, CompanyForm),
    /// A meeting or call.
    Meeting(String, MeetingForm),
    /// The account's owner.
    Owner(String),
}

/// The company's page (`status` 200, or 422 with what a refused form must fix).
pub(crate) async fn render_company(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    id: Uuid,
    notice: Option<String>,
    failed: Option<Failed>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let company = state
        .store
        .companies
        .get(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let categories = state.store.categories.map().await?;
    let complaints: Vec<QueueRow> = state
        .store
        .complaint_list
        .of_company(id)
        .await?
        .into_iter()
        .map(|row| queue_row(row, now, &categories, staff.language()))
        .collect();
    let contacts = state.store.complaint_list.contacts_of(id).await?;
    let mut context = page_context(staff, session)?;
    let today = Utc::now()
        .with_timezone(&crate::viewer_zone(staff))
        .date_naive();
    let mut form = CompanyForm {
        tier: company.tier.code().into(),
        notes: company.notes.clone(),
        ..CompanyForm::default()
    };
    let mut meeting = MeetingForm {
        held_on: today.to_string(),
        kind: "meeting".into(),
        ..MeetingForm::default()
    };
    let (mut error, mut meeting_error, mut owner_error) = (None, None, None);
    match failed {
        Some(Failed::File(message, kept)) => (error, form) = (Some(message), kept),
        Some(Failed::Meeting(message, kept)) => (meeting_error, meeting) = (Some(message), kept),
        Some(Failed::Owner(message)) => owner_error = Some(message),
        None => {}
    }
    let meetings = state.store.key_accounts.meetings(id).await?;
    let owner = state.store.key_accounts.owner(id).await?;
    let may_set_owner = staff.0.role >= Role::Manager;
    let people: Vec<(Uuid, String)> = if may_set_owner {
        state
            .store
            .accounts
            .active()
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect()
    } else {
        Vec::new()
    };
    context.insert("meetings", &meetings);
    context.insert(
        "survey_answers",
        &state
            .store
            .surveys
            .answers_of_company(&company.name)
            .await?,
    );
    context.insert("meeting", &meeting);
    context.insert("meeting_error", &meeting_error);
    context.insert("owner", &owner);
    context.insert("owner_error", &owner_error);
    context.insert("people", &people);
    context.insert("may_set_owner", &may_set_owner);
    context.insert("company", &company);
    context.insert(
        "tier_label",
        &locale::label(
            staff.language(),
            "tier",
            company.tier.code(),
            company.tier.label(),
        ),
    );
    context.insert("complaints", &complaints);
    context.insert("history_limit", &redress_store::companies::HISTORY_LIMIT);
    context.insert("contacts", &contacts);
    context.insert("notice", &notice);
    context.insert("error", &error);
    context.insert("form", &form);
    context.insert("tiers", &tiers(staff.language()));
    context.insert("may_set_tier", &(staff.0.role >= Role::Manager));
    render(state, "companies/show.html", &context, status)
}

/// GET /companies/{id}
pub(crate) async fn show(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    render_company(
        &state,
        &staff,
        &session,
        id,
        notice(staff.language(), query.done.as_deref()),
        None,
        200,
    )
    .await
}

/// POST /companies/{id}
pub(crate) async fn update(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<CompanyForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
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
                Some(Failed::File(message, form)),
                422,
            )
            .await
        }
        Err(other) => Err(file_error(other)),
    }
}

csrf_protected!(CompanyForm, NewCompanyForm, MeetingForm);
