//! Notifications in the staff UI: the page listing them (`/notifications`), marking them read
//! one by one or all at once, and each person's choice per kind of how they hear by email
//! (on `/account`). What makes notifications is the store's (`redress_store::notifications`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::Language;
use redress_store::{Delivery, Notification, NotificationKind};
use serde::{Deserialize, Serialize};

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::locale::{text, text_with};
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
    let mut notifications = state
        .store
        .notifications
        .list(staff.0.id, staff.0.role, LIST_LIMIT)
        .await?;
    for notification in &mut notifications {
        if let Some(words) = headline(staff.language(), notification) {
            notification.headline = words;
        }
    }
    let mut context = page_context(&staff, &session)?;
    context.insert("notifications", &notifications);
    context.insert(
        "notice",
        &match query.done.as_deref() {
            Some("all") => Some("note-all-read"),
            Some("one") => Some("note-one-read"),
            _ => None,
        }
        .map(|key| text(staff.language(), key)),
    );
    render(&state, "notifications/list.html", &context, 200)
}

/// What happened, in a line in `language` ("Ana assigned the complaint to you", "An SLA clock
/// is at risk"), as the store words it in English; `None` for a kind it does not know.
fn headline(language: Language, notification: &Notification) -> Option<String> {
    let kind = NotificationKind::from_code(&notification.kind)?;
    let key = format!("note-headline-{}", kind.code());
    Some(match kind {
        NotificationKind::CustomerWrote
        | NotificationKind::SlaAtRisk
        | NotificationKind::SlaBreach => text(language, &key),
        NotificationKind::Assigned | NotificationKind::Mentioned | NotificationKind::Reopened
            if notification.actor.is_empty() =>
        {
            text(language, &format!("{key}-alone"))
        }
        NotificationKind::Assigned | NotificationKind::Mentioned | NotificationKind::Reopened => {
            text_with(language, &key, &[("actor", notification.actor.clone())])
        }
    })
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
    label: String,
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
            label: crate::locale::label(staff.language(), "notice", kind.code(), kind.label()),
            delivery: delivery.code(),
        })
        .collect())
}

/// The choices of delivery, for the form: (code, label in `language`).
pub(crate) fn deliveries(language: Language) -> Vec<(&'static str, String)> {
    Delivery::ALL
        .iter()
        .map(|d| {
            (
                d.code(),
                crate::locale::label(language, "delivery", d.code(), d.label()),
            )
        })
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
            AppError::BadForm(text_with(
                staff.language(),
                "note-bad-delivery",
                &[(
                    "value",
                    format!("{:?}", code.chars().take(20).collect::<String>()),
                )],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_read_as_the_store_words_them_in_english() {
        let mut notification = Notification {
            id: String::new(),
            kind: String::new(),
            headline: String::new(),
            reference: "RDR-7KX4-9PQM".into(),
            summary: None,
            actor: "Ana Pop".into(),
            at: chrono::Utc::now(),
            read_at: None,
        };
        for kind in NotificationKind::ALL {
            notification.kind = kind.code().into();
            for actor in ["Ana Pop", ""] {
                notification.actor = actor.into();
                let english = if actor.is_empty() || kind.headline().starts_with(char::is_uppercase)
                {
                    kind.headline().to_string()
                } else {
                    format!("{actor} {}", kind.headline())
                };
                assert_eq!(headline(Language::En, &notification), Some(english));
                for language in Language::ALL {
                    let words = headline(*language, &notification).unwrap_or_default();
                    assert!(!words.contains("Unknown localization"), "{words}");
                }
            }
            assert_eq!(
                crate::locale::label(Language::En, "notice", kind.code(), "?"),
                kind.label()
            );
        }
        for delivery in Delivery::ALL {
            assert_eq!(
                crate::locale::label(Language::En, "delivery", delivery.code(), "?"),
                delivery.label()
            );
        }
        notification.kind = "unknown".into();
        assert_eq!(headline(Language::Es, &notification), None);
    }
}
