//! Where one is signed in: the sessions listed on `/account`, each of which its owner can end
//! (`POST /account/sessions/end`; ending this browser's is signing out) or all but this one
//! (`POST /account/sessions/end-others`), and an admin signing someone out everywhere
//! (`POST /admin/users/{id}/sessions/end`). All are audited.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use redress_domain::Language;
use redress_store::{AuditAction, session_id};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{CsrfForm, CurrentStaff, SessionLimits, account_in_path, csrf_protected};
use crate::error::AppError;
use crate::locale::{text, text_with};
use crate::security::audit;
use crate::signed::Signed;

/// A session as `/account` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct SessionView {
    /// What the form to end it sends (the token's hash, which opens nothing).
    id: String,
    started_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    address: String,
    /// "Firefox on Linux", as far as the browser said.
    browser: String,
    /// Whether it is the one this page was asked in.
    current: bool,
}

/// The live sessions of `staff` (those past their limits are left out: they end at their next
/// use), this browser's first.
pub(crate) async fn of(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    limits: SessionLimits,
) -> Result<Vec<SessionView>, AppError> {
    let now = state.store.clock.now();
    let this = crate::auth::session_token(session).map(|token| session_id(&token));
    let mut sessions: Vec<SessionView> = state
        .store
        .sessions
        .of_staff(staff.0.id)
        .await?
        .into_iter()
        .filter(|s| now - s.last_seen_at <= limits.idle && now - s.started_at <= limits.absolute)
        .map(|s| SessionView {
            current: this.as_deref() == Some(s.id.as_str()),
            browser: browser_of(staff.language(), &s.user_agent),
            id: s.id,
            started_at: s.started_at,
            last_seen_at: s.last_seen_at,
            address: s.address,
        })
        .collect();
    sessions.sort_by_key(|s| !s.current);
    Ok(sessions)
}

/// "Firefox on Linux": the browser and system a `User-Agent` names, as far as it tells, in
/// `language`.
pub(crate) fn browser_of(language: Language, agent: &str) -> String {
    // Each browser's mark, the most specific first (Edge and Opera say Chrome too, Chrome
    // says Safari).
    const BROWSERS: [(&str, &str); 6] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    // Android says Linux, and iPhones and iPads say Mac OS X.
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let find = |marks: &[(&str, &'static str)]| {
        marks
            .iter()
            .find(|(mark, _)| agent.contains(mark))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => text_with(
            language,
            "note-browser-on",
            &[
                ("browser", browser.to_string()),
                ("system", system.to_string()),
            ],
        ),
        (Some(browser), None) => browser.to_string(),
        (None, Some(system)) => text_with(
            language,
            "note-program-on",
            &[("system", system.to_string())],
        ),
        (None, None) if agent.trim().is_empty() => text(language, "note-program-silent"),
        (None, None) => agent.chars().take(60).collect(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EndForm {
    #[serde(default)]
    csrf: String,
    /// The session's id, as listed.
    #[serde(default)]
    session: String,
}

csrf_protected!(EndForm);

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// POST /account/sessions/end: ends one of one's own sessions (this browser's: signs out).
/// A session that is not one's own, or already ended, is the same "already ended".
pub(crate) async fn end(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<EndForm>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = form.session.trim();
    if !state.store.sessions.end_one(staff.0.id, id).await? {
        return Ok(see_other("/account?done=session_gone#sessions"));
    }
    let this = crate::auth::session_token(&session).map(|token| session_id(&token));
    let which = if this.as_deref() == Some(id) {
        "this session"
    } else {
        "another of their sessions"
    };
    audit(
        &state,
        &request,
        &staff,
        AuditAction::SessionsEnded,
        &staff.0.email,
        which,
    )
    .await?;
    if this.as_deref() == Some(id) {
        session.purge();
        return Ok(see_other("/sign-in"));
    }
    Ok(see_other("/account?done=session_ended#sessions"))
}

/// POST /account/sessions/end-others: signs out everywhere but here.
pub(crate) async fn end_others(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed<CsrfForm>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let Some(this) = crate::auth::session_token(&session).map(|token| session_id(&token)) else {
        return Err(AppError::SignInRequired("/account".into()));
    };
    let ended = state.store.sessions.end_others(staff.0.id, &this).await?;
    if ended > 0 {
        audit(
            &state,
            &request,
            &staff,
            AuditAction::SessionsEnded,
            &staff.0.email,
            &format!("all their other sessions ({ended})"),
        )
        .await?;
    }
    Ok(see_other("/account?done=others_ended#sessions"))
}

/// POST /admin/users/{id}/sessions/end: signs someone out everywhere (an admin's own: here
/// too).
pub(crate) async fn end_all(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed<CsrfForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = account_in_path(&state, &path).await?;
    let ended = state.store.sessions.end_all(account.id).await?;
    audit(
        &state,
        &request,
        &staff,
        AuditAction::SessionsEnded,
        &account.email,
        &format!("all of them ({ended}), by an admin"),
    )
    .await?;
    if account.id == staff.0.id {
        session.purge();
        return Ok(see_other("/sign-in"));
    }
    Ok(see_other(&format!(
        "/admin/users?done=signed_out#account-{}",
        account.id
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_agent_reads_as_browser_and_system() {
        for (agent, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            ("curl/8.5.0", "curl/8.5.0"),
            ("", "A program that did not say"),
        ] {
            assert_eq!(browser_of(Language::En, agent), expected, "{agent}");
        }
        for language in Language::ALL {
            for agent in [
                "",
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                "x (Windows)",
            ] {
                let words = browser_of(*language, agent);
                assert!(!words.contains("Unknown localization"), "{words}");
            }
        }
        assert_eq!(
            browser_of(
                Language::Es,
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
            ),
            "Firefox en Linux"
        );
    }
}
