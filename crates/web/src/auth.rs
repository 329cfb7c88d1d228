//! Signing in and out, who is signed in, and CSRF tokens.
//!
//! Sessions live in a signed and encrypted cookie (HttpOnly, SameSite=Strict), keyed by a
//! secret every instance shares through the database. The session holds only the staff id
//! and the CSRF token; the account is read on every request, so a deactivation or a role
//! change takes effect at once.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use rand::RngCore;
use redress_store::{Role, StaffAccount, accounts};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::AppError;
use crate::{AppState, render};

const STAFF_KEY: &str = "staff_id";
const CSRF_KEY: &str = "csrf";
/// Failed sign-ins for one address within [`FAILURE_WINDOW_MINUTES`] before it is refused.
pub const MAX_FAILURES: i64 = 5;
/// The window failed sign-ins are counted in.
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

/// The member of staff signed in. Extracting it from a request without a valid session
/// sends the visitor to the sign-in page.
#[derive(Debug, Clone)]
pub struct CurrentStaff(pub StaffAccount);

impl CurrentStaff {
    /// Refuses with 403 unless the staff member has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl FromRequest for CurrentStaff {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("no app state".into()))?;
            let id: Option<Uuid> = session.get(STAFF_KEY).map_err(AppError::session)?;
            let Some(id) = id else {
                return Err(AppError::SignInRequired(here));
            };
            match state.store.accounts.get(id).await? {
                Some(account) if account.active => Ok(CurrentStaff(account)),
                _ => {
                    session.purge();
                    Err(AppError::SignInRequired(here))
                }
            }
        })
    }
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF_KEY).map_err(AppError::session)? {
        return Ok(token);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    session
        .insert(CSRF_KEY, &token)
        .map_err(AppError::session)?;
    Ok(token)
}

/// Refuses a form whose token is not the session's.
pub fn check_csrf(session: &Session, submitted: &str) -> Result<(), AppError> {
    let expected = session.get::<String>(CSRF_KEY).map_err(AppError::session)?;
    match expected {
        Some(expected) if constant_time_eq(expected.as_bytes(), submitted.as_bytes()) => Ok(()),
        _ => Err(AppError::CsrfRejected),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where to go after signing in: only a path on this site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => {
            next.to_string()
        }
        _ => "/complaints".to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
}

pub(crate) async fn sign_in_page(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("csrf", &csrf_token(&session)?);
    context.insert("next", &safe_next(query.next.as_deref()));
    context.insert("email", "");
    render(&state, "auth/sign_in.html", &context, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
    /// The browser's IANA time zone, sent by redress.js (empty without JavaScript).
    #[serde(default)]
    time_zone: Option<String>,
}

pub(crate) async fn sign_in(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim().to_lowercase();
    let failures = state
        .store
        .accounts
        .recent_failures(&email, Duration::minutes(FAILURE_WINDOW_MINUTES))
        .await?;
    let refuse = |status: u16, message: &str| -> Result<HttpResponse, AppError> {
        let mut context = tera::Context::new();
        context.insert("csrf", &csrf_token(&session)?);
        context.insert("next", &next);
        context.insert("email", &email);
        context.insert("error", message);
        render(&state, "auth/sign_in.html", &context, status)
    };
    if failures >= MAX_FAILURES {
        return refuse(
            429,
            &format!(
                "Too many failed sign-ins for this address. Wait {FAILURE_WINDOW_MINUTES} minutes, or ask an administrator to reset your password."
            ),
        );
    }
    let credentials = state.store.accounts.credentials(&email).await?;
    let (account, hash) = match credentials {
        Some((account, hash)) => (Some(account), hash),
        None => (None, accounts::decoy_hash().to_string()),
    };
    let password = form.password;
    // Hashing takes tens of milliseconds on purpose: off the async threads.
    let matches = web::block(move || accounts::verify_password(&hash, &password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    match account {
        Some(account) if matches && account.active => {
            state.store.accounts.clear_failures(&email).await?;
            session.renew();
            session.remove(CSRF_KEY);
            session
                .insert(STAFF_KEY, account.id)
                .map_err(AppError::session)?;
            if account.time_zone.is_none()
                && let Some(zone) = form.time_zone.as_deref().and_then(known_zone)
            {
                state.store.accounts.set_time_zone(account.id, zone).await?;
            }
            tracing::info!(staff = %account.id, "signed in");
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next.clone()))
                .finish())
        }
        Some(account) if matches => {
            tracing::info!(staff = %account.id, "sign-in refused: account deactivated");
            refuse(
                403,
                "This account has been deactivated. Ask an administrator if you need it again.",
            )
        }
        _ => {
            state.store.accounts.record_failure(&email).await?;
            refuse(401, "The email address or the password is not right.")
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn sign_out(
    session: Session,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    session.purge();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/sign-in"))
        .finish())
}

/// The IANA name of a time zone we know, as the database spells it.
fn known_zone(name: &str) -> Option<&'static str> {
    name.trim().parse::<chrono_tz::Tz>().ok().map(|z| z.name())
}

#[derive(Debug, Deserialize)]
pub(crate) struct SettingsQuery {
    done: Option<String>,
}

fn render_settings(
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
    render(state, "account/settings.html", &context, status)
}

/// GET /account: the signed-in person's own settings.
pub(crate) async fn settings_page(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = (query.done.as_deref() == Some("saved")).then_some("Saved.");
    render_settings(&state, &staff, &session, notice, None, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    time_zone: String,
}

/// POST /account
pub(crate) async fn save_settings(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let Some(zone) = known_zone(&form.time_zone) else {
        let message = format!(
            "{:?} is not a time zone we know; pick one from the list, such as Europe/London.",
            form.time_zone.chars().take(60).collect::<String>()
        );
        return render_settings(&state, &staff, &session, None, Some(&message), 422);
    };
    state.store.accounts.set_time_zone(staff.0.id, zone).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/account?done=saved"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/complaints?page=2")), "/complaints?page=2");
        assert_eq!(safe_next(Some("//evil.example/")), "/complaints");
        assert_eq!(safe_next(Some("https://evil.example/")), "/complaints");
        assert_eq!(safe_next(Some("/\\evil.example")), "/complaints");
        assert_eq!(safe_next(None), "/complaints");
    }

    #[test]
    fn time_zones_are_known_by_their_iana_names() {
        assert_eq!(known_zone(" Europe/Bucharest "), Some("Europe/Bucharest"));
        assert_eq!(known_zone("UTC"), Some("UTC"));
        assert_eq!(known_zone("Mars/Olympus_Mons"), None);
        assert_eq!(known_zone(""), None);
    }

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
