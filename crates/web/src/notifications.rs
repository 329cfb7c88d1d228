//! Notifications in the staff UI: the page listing them (`/notifications`), marking them read
//! one by one or all at once, and each person's choice per kind of how they hear by email
//! (on `/account`). What makes notifications is the store's (`redress_store::notifications`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_store::{Delivery, NotificationKind};
use serde::{Deserialize, Serialize};

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// Notifications listed at once.
const LIST_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /notifications
pub(crate) async fn list(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let notifications = state
        .store
        .notifications
        .list(staff.0.id, staff.0.role, LIST_LIMIT)
        .await?;
    let mut context = page_context(&staff, &session)?;
    context.insert("notifications", &notifications);
    context.insert(
        "notice",
        &match query.done.as_deref() {
            Some("all") => Some("Every notification is marked read."),
            Some("one") => Some("Marked read."),
            _ => None,
        },
    );
    render(&state, "notifications/list.html", &context, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn back(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/notifications?done={done}")))
        .finish()
}

/// POST /notifications/{id}/read
pub(crate) async fn mark_read(
    state: web::Data<AppState>,
    Signed { staff, .. }: Signed<CsrfForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    if !state
        .store
        .notifications
        .mark_read(staff.0.id, staff.0.role, &id, state.store.clock.now())
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(back("one"))
}

/// POST /notifications/read-all
pub(crate) async fn mark_all_read(
    state: web::Data<AppState>,
    Signed { staff, .. }: Signed<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    state
        .store
        .notifications
        .mark_all_read(staff.0.id, staff.0.role, state.store.clock.now())
        .await?;
    Ok(back("all"))
}

/// One kind's choice, as the preferences form shows it.
#[derive(Debug, Serialize)]
pub(crate) struct Choice {
    kind: &'static str,
    label: &'static str,
    delivery: &'static str,
}

/// `staff`'s choices, for the account page.
pub(crate) async fn choices(
    state: &AppState,
    staff: &CurrentStaff,
) -> Result<Vec<Choice>, AppError> {
    Ok(state
        .store
        .notifications
        .preferences(staff.0.id)
        .await?
        .into_iter()
        .map(|(kind, delivery)| Choice {
            kind: kind.code(),
            label: kind.label(),
            delivery: delivery.code(),
        })
        .collect())
}

/// The choices of delivery, for the form: (code, label).
pub(crate) fn deliveries() -> Vec<(&'static str, &'static str)> {
    Delivery::ALL
        .iter()
        .map(|d| (d.code(), d.label()))
        .collect()
}

#[derive(Debug, Deserialize)]
pub(crate) struct PreferencesForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::BTreeMap<String, String>,
}

/// POST /account/notifications: how each kind is heard by email.
pub(crate) async fn save_preferences(
    state: web::Data<AppState>,
    Signed { staff, form, .. }: Signed<PreferencesForm>,
) -> Result<HttpResponse, AppError> {
    let mut choices = Vec::new();
    for kind in NotificationKind::ALL {
        let Some(code) = form.fields.get(kind.code()) else {
            continue;
        };
        let delivery = Delivery::from_code(code.trim()).ok_or_else(|| {
            AppError::BadForm(format!(
                "{:?} is not a way to hear of notifications; choose instant, digest or none.",
                code.chars().take(20).collect::<String>()
            ))
        })?;
        choices.push((kind, delivery));
    }
    state
        .store
        .notifications
        .set_preferences(staff.0.id, &choices)
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            "/account?done=notifications#notifications",
        ))
        .finish())
}

csrf_protected!(CsrfForm, PreferencesForm);
