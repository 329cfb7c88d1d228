//! `/account`: one's own settings (name, time zone, language, notifications) and where one
//! is signed in ([`sessions`]). Changing one's password is `/account/password`
//! ([`crate::passwords`]).

pub mod sessions;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::{CurrentStaff, csrf_protected, known_zone};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, render};

#[derive(Debug, Deserialize)]
pub(crate) struct SettingsQuery {
    done: Option<String>,
}

async fn render_settings(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    notice: Option<&str>,
    error: Option<&str>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = crate::page_context(staff, session)?;
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    context.insert("zones", &zones);
    context.insert("notice", &notice);
    context.insert("error", &error);
    context.insert(
        "notification_choices",
        &crate::notifications::choices(state, staff).await?,
    );
    context.insert(
        "deliveries",
        &crate::notifications::deliveries(staff.language()),
    );
    context.insert("languages", &redress_domain::Language::options());
    context.insert(
        "sessions",
        &sessions::of(state, staff, session, state.sessions).await?,
    );
    let (passkeys_available, passkeys) = crate::passkeys::listed(state, staff.0.id).await?;
    context.insert("passkeys_available", &passkeys_available);
    context.insert("passkeys", &passkeys);
    render(state, "account/settings.html", &context, status)
}

/// GET /account: the signed-in person's own settings.
pub(crate) async fn settings_page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match query.done.as_deref() {
        Some("saved") => Some("note-saved"),
        Some("notifications") => Some("note-notifications-saved"),
        Some("session_ended") => Some("note-session-ended"),
        Some("session_gone") => Some("note-session-gone"),
        Some("others_ended") => Some("note-others-ended"),
        Some("passkey_added") => Some("note-passkey-added"),
        Some("passkey_removed") => Some("note-passkey-removed"),
        Some("passkey_gone") => Some("note-passkey-gone"),
        _ => None,
    }
    .map(|key| crate::locale::text(staff.language(), key));
    render_settings(&state, &staff, &session, notice.as_deref(), None, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    time_zone: String,
    /// A language's code, or empty for the browser's; absent leaves it as it is.
    #[serde(default)]
    language: Option<String>,
}

/// POST /account
pub(crate) async fn save_settings(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let Some(zone) = known_zone(&form.time_zone) else {
        let message = crate::locale::text_with(
            staff.language(),
            "note-bad-time-zone",
            &[(
                "value",
                format!("{:?}", form.time_zone.chars().take(60).collect::<String>()),
            )],
        );
        return render_settings(&state, &staff, &session, None, Some(&message), 422).await;
    };
    let language = match form.language.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(code) => match redress_domain::Language::parse(code) {
            Ok(language) => Some(Some(language.code())),
            Err(_) => {
                let message = crate::locale::text_with(
                    staff.language(),
                    "note-bad-language",
                    &[(
                        "value",
                        format!("{:?}", code.chars().take(20).collect::<String>()),
                    )],
                );
                return render_settings(&state, &staff, &session, None, Some(&message), 422).await;
            }
        },
    };
    state.store.accounts.set_time_zone(staff.0.id, zone).await?;
    if let Some(language) = language {
        state
            .store
            .accounts
            .set_language(staff.0.id, language)
            .await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/account?done=saved"))
        .finish())
}

csrf_protected!(SettingsForm);
