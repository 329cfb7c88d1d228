//! Key accounts kept close: `/companies/key-accounts` lists them, the ones at risk first and
//! why; a company's file records its meetings and calls (`POST /companies/{id}/meetings`) and
//! who owns the account (`POST /companies/{id}/owner`, managers), who is reminded by email when
//! the next meeting falls due.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, Utc};
use redress_domain::CustomerId;
use redress_store::key_accounts::{MeetingKind, NewMeeting};
use redress_store::{FileError, Role};
use serde::{Deserialize, Serialize};

use crate::auth::csrf_protected;
use crate::companies::{Failed, MeetingForm, file_error, parse_id, render_company};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, locale, page_context, render, viewer_zone};

/// The account owner form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OwnerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    owner: String,
}

csrf_protected!(OwnerForm);

fn date(language: redress_domain::Language, text: &str, key: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        locale::text_with(
            language,
            key,
            &[("value", text.trim().chars().take(40).collect())],
        )
    })
}

/// The meeting the form describes, or what to fix.
fn meeting_of(
    language: redress_domain::Language,
    form: &MeetingForm,
) -> Result<NewMeeting, String> {
    let held_on = date(language, &form.held_on, "meetings-bad-date")?;
    let next_due = match form.next_due.trim() {
        "" => None,
        text => Some(date(language, text, "meetings-bad-date")?),
    };
    let kind = MeetingKind::parse(&form.kind)
        .ok_or_else(|| locale::text(language, "meetings-bad-kind"))?;
    let contact = match form.contact.trim() {
        "" => None,
        text => {
            Some(CustomerId(uuid::Uuid::parse_str(text).map_err(|_| {
                locale::text(language, "meetings-bad-contact")
            })?))
        }
    };
    Ok(NewMeeting {
        held_on,
        kind,
        contact,
        who: form.who.clone(),
        agreed: form.agreed.clone(),
        next_due,
    })
}

/// POST /companies/{id}/meetings
pub(crate) async fn record(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<MeetingForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let language = staff.language();
    let refused = |message: String, form: MeetingForm| Failed::Meeting(message, form);
    let meeting = match meeting_of(language, &form) {
        Ok(meeting) => meeting,
        Err(message) => {
            state
                .store
                .companies
                .get(id)
                .await?
                .ok_or(AppError::NotFound)?;
            return render_company(
                &state,
                &staff,
                &session,
                id,
                None,
                Some(refused(message, form)),
                422,
            )
            .await;
        }
    };
    let now = Utc::now();
    let today = now.with_timezone(&viewer_zone(&staff)).date_naive();
    match state
        .store
        .key_accounts
        .record_meeting(id, meeting, today, now, &staff.0.name)
        .await
    {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/companies/{id}?done=meeting#meetings-heading"),
            ))
            .finish()),
        Err(FileError::Invalid(message)) => {
            render_company(
                &state,
                &staff,
                &session,
                id,
                None,
                Some(refused(message, form)),
                422,
            )
            .await
        }
        Err(other) => Err(file_error(other)),
    }
}

/// POST /companies/{id}/owner (managers and admins)
pub(crate) async fn set_owner(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<OwnerForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    staff.require(Role::Manager)?;
    let id = parse_id(&path)?;
    state
        .store
        .companies
        .get(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = match form.owner.trim() {
        "" => None,
        text => {
            let account = match uuid::Uuid::parse_str(text) {
                Ok(owner) => state.store.accounts.get(owner).await?.filter(|a| a.active),
                Err(_) => None,
            };
            match account {
                Some(account) => Some(account),
                None => {
                    let message = locale::text(staff.language(), "meetings-bad-owner");
                    return render_company(
                        &state,
                        &staff,
                        &session,
                        id,
                        None,
                        Some(Failed::Owner(message)),
                        422,
                    )
                    .await;
                }
            }
        }
    };
    state
        .store
        .key_accounts
        .set_owner(
            id,
            owner.as_ref().map(|a| (a.id, a.name.as_str())),
            Utc::now(),
            &staff.0.name,
        )
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/companies/{id}?done=owner")))
        .finish())
}

/// One key account as the list shows it.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    account: redress_store::key_accounts::KeyAccount,
    /// The flags' words.
    reasons: Vec<String>,
    /// The satisfaction trend: `down`, `up`, `flat` or empty.
    trend: &'static str,
}

/// GET /companies/key-accounts
pub(crate) async fn list(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
) -> Result<HttpResponse, AppError> {
    let language = staff.language();
    let now = Utc::now();
    let today = now.with_timezone(&viewer_zone(&staff)).date_naive();
    let rules = state.key_account_risk;
    let rows: Vec<Row> = state
        .store
        .key_accounts
        .list(now, today, rules)
        .await?
        .into_iter()
        .map(|account| {
            let reasons = account
                .flags
                .iter()
                .map(|flag| {
                    locale::text_with(
                        language,
                        &format!("key-accounts-flag-{}", flag.code()),
                        &[("months", rules.no_contact_months.to_string())],
                    )
                })
                .collect();
            let trend = match (account.satisfaction_recent, account.satisfaction_before) {
                (Some(now), Some(then)) if now < then => "down",
                (Some(now), Some(then)) if now > then => "up",
                (Some(_), Some(_)) => "flat",
                _ => "",
            };
            Row {
                account,
                reasons,
                trend,
            }
        })
        .collect();
    let mut context = page_context(&staff, &session)?;
    context.insert("accounts", &rows);
    context.insert(
        "at_risk",
        &rows.iter().filter(|r| !r.reasons.is_empty()).count(),
    );
    context.insert("months", &rules.no_contact_months);
    render(&state, "companies/key_accounts.html", &context, 200)
}
