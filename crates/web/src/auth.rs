//! Signing in and out, who is signed in, and CSRF tokens. One's own settings are
//! [`crate::account`].
//!
//! The browser keeps a signed and encrypted cookie (HttpOnly, SameSite=Strict, keyed by a
//! secret every instance shares through the database) holding a random session token and
//! the CSRF token. The session itself lives on the server (`staff_sessions`, by the token's
//! SHA-256), read with the account on every request: signing out ends it for every copy of
//! the cookie, a deactivation or a role change ends all of the account's sessions at once, a
//! session unused for `session_idle` or older than `session_absolute` ends, and signing in
//! always starts a new one under a new cookie.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use rand::RngCore;
use redress_domain::Language;
use redress_store::{AuditAction, AuditActor, Role, StaffAccount, accounts};
use serde::Deserialize;

use crate::error::AppError;
use crate::locale::{text, text_with};
use crate::{AppState, render};

const SESSION_KEY: &str = "session";
const CSRF_KEY: &str = "csrf";
/// Failed sign-ins for one address within [`FAILURE_WINDOW_MINUTES`] before it is refused.
pub const MAX_FAILURES: i64 = 5;
/// The window failed sign-ins are counted in.
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

/// How long staff sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session this old ends, however busy.
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(60),
            absolute: Duration::hours(12),
        }
    }
}

/// How often a session's last use is written: at most once a minute per session.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Failed sign-ins from one client address per window before it is refused (besides the
/// per-account lockout): guessing across many accounts is slowed down too, and successful
/// sign-ins of a team behind one address never count.
pub const MAX_SIGN_INS_PER_ADDRESS: i64 = 30;
/// The window those are counted in, in seconds.
pub const SIGN_IN_WINDOW_SECONDS: i64 = 600;

/// The member of staff signed in, (on pages, which show it in the header) how many of
/// their notifications are unread, and the language they read Redress in (their choice, else
/// their browser's first supported one, else English). Extracting it from a request without
/// a valid session sends the visitor to the sign-in page.
#[derive(Debug, Clone)]
pub struct CurrentStaff(pub StaffAccount, pub i64, pub Language);

impl CurrentStaff {
    /// The language they read Redress in.
    pub fn language(&self) -> Language {
        self.2
    }
}

/// The language a member of staff reads Redress in: their choice, else the browser's.
pub(crate) fn staff_language(account: &StaffAccount, request: &HttpRequest) -> Language {
    account
        .language
        .as_deref()
        .and_then(|code| Language::parse(code).ok())
        .unwrap_or_else(|| crate::locale::of_request(request))
}

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
        // Already read by the access check (crate::access) for this request.
        if let Some(staff) = req.extensions().get::<CurrentStaff>().cloned() {
            return Box::pin(async move { Ok(staff) });
        }
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let limits = req
            .app_data::<web::Data<SessionLimits>>()
            .map_or_else(SessionLimits::default, |l| *l.get_ref());
        let page = req.method() == actix_web::http::Method::GET;
        let request = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("no app state".into()))?;
            let token: Option<String> = session.get(SESSION_KEY).map_err(AppError::session)?;
            let Some(token) = token else {
                return Err(AppError::SignInRequired(here));
            };
            let now = state.store.clock.now();
            match state.store.sessions.find(&token).await? {
                Some(live) if live.account.active => {
                    if now - live.last_seen_at > limits.idle
                        || now - live.started_at > limits.absolute
                    {
                        state.store.sessions.end(&token).await?;
                        session.purge();
                        return Err(AppError::SessionExpired(here));
                    }
                    if now - live.last_seen_at > TOUCH_EVERY {
                        state.store.sessions.touch(&token, now).await?;
                    }
                    let unread = if page {
                        state
                            .store
                            .notifications
                            .unread(live.account.id, live.account.role)
                            .await?
                    } else {
                        0
                    };
                    let language = staff_language(&live.account, &request);
                    Ok(CurrentStaff(live.account, unread, language))
                }
                _ => {
                    session.purge();
                    Err(AppError::SignInRequired(here))
                }
            }
        })
    }
}

/// The token of the session this browser holds, if any (its id is
/// [`redress_store::session_id`] of it).
pub(crate) fn session_token(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_KEY).ok().flatten()
}

/// The staff account named in a path (`/admin/users/{id}/...`), or 404.
pub(crate) async fn account_in_path(state: &AppState, id: &str) -> Result<StaffAccount, AppError> {
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    state
        .store
        .accounts
        .get(id)
        .await?
        .ok_or(AppError::NotFound)
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

/// A form that carries the session's CSRF token (its `csrf` field).
pub trait CsrfProtected {
    /// The token the form was sent with.
    fn csrf(&self) -> &str;
}

/// Implements [`CsrfProtected`] for form structs with a `csrf: String` field.
macro_rules! csrf_protected {
    ($($form:ty),+ $(,)?) => {
        $(
            impl $crate::auth::CsrfProtected for $form {
                fn csrf(&self) -> &str {
                    &self.csrf
                }
            }
        )+
    };
}
pub(crate) use csrf_protected;

/// A posted form whose CSRF token was checked against the session before the handler runs:
/// a handler that takes one cannot forget the check (403 otherwise). Forms read as
/// `web::Form` does (its size limit and errors).
#[derive(Debug)]
pub struct Checked<T>(pub T);

impl<T> Checked<T> {
    /// The form.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Checked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + CsrfProtected + 'static> FromRequest for Checked<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = request.get_session();
        let form = web::Form::<T>::from_request(request, payload);
        Box::pin(async move {
            let form = form.await?.into_inner();
            check_csrf(&session, form.csrf())?;
            Ok(Checked(form))
        })
    }
}

/// Whether two byte strings are equal, in a time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where to go after signing in: only a path on this site.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if is_local_path(next) => next.to_string(),
        _ => "/complaints".to_string(),
    }
}

/// Whether `next` (already decoded from the form or query) is a path on this site: a slash,
/// then no second slash or backslash, and no control character or white space anywhere —
/// browsers drop tabs and line breaks from a `Location`, so `/\t/evil.example` would become
/// `//evil.example`, another site; and a line break cannot go in a header at all.
fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next[1..].starts_with(['/', '\\'])
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

/// What the sign-in page shows: the password form (folded away when only the break-glass
/// admin may use it), the single sign-on button, the passkey button.
fn sign_in_context(
    state: &AppState,
    language: Language,
    session: &Session,
    next: &str,
    email: &str,
) -> Result<tera::Context, AppError> {
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    context.insert("csrf", &csrf_token(session)?);
    context.insert("next", next);
    context.insert("email", email);
    context.insert("sso_name", &state.sign_in.sso_name());
    context.insert("passkeys", &state.sign_in.passkeys.is_some());
    context.insert("passwords", &state.sign_in.passwords_on());
    Ok(context)
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    expired: Option<String>,
    changed: Option<String>,
}

pub(crate) async fn sign_in_page(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, AppError> {
    // Nobody is signed in yet: the browser's language.
    let language = crate::locale::of_request(&request);
    let mut context = sign_in_context(
        &state,
        language,
        &session,
        &safe_next(query.next.as_deref()),
        "",
    )?;
    if query.expired.is_some() {
        context.insert("notice", &text(language, "note-session-expired"));
    } else if query.changed.is_some() {
        context.insert("notice", &text(language, "note-password-changed"));
    }
    render(&state, "auth/sign_in.html", &context, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
    /// The browser's IANA time zone, sent by redress.js (empty without JavaScript).
    #[serde(default)]
    time_zone: Option<String>,
}

pub(crate) async fn sign_in(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: Checked<SignInForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let language = crate::locale::of_request(&request);
    let next = safe_next(form.next.as_deref());
    let email: String = form.email.trim().to_lowercase().chars().take(320).collect();
    let address = crate::security::client_address(&request);
    let now = state.store.clock.now();
    let audit_failure = |reason: &str| {
        let state = state.clone();
        let (email, address, reason) = (email.clone(), address.clone(), reason.to_string());
        async move {
            state
                .store
                .audit
                .record(
                    now,
                    AuditAction::SignInFailed,
                    &AuditActor::anonymous(&email),
                    &email,
                    &reason,
                    &address,
                )
                .await
        }
    };
    let refuse = |status: u16, message: &str| -> Result<HttpResponse, AppError> {
        let mut context = sign_in_context(&state, language, &session, &next, &email)?;
        context.insert("error", message);
        render(&state, "auth/sign_in.html", &context, status)
    };
    let client_key = format!("sign-in:{address}");
    let failed_here = || {
        let state = state.clone();
        let key = client_key.clone();
        async move {
            state
                .store
                .rate_limits
                .count_hit(&key, now, SIGN_IN_WINDOW_SECONDS)
                .await
        }
    };
    if state
        .store
        .rate_limits
        .count(&client_key, now, SIGN_IN_WINDOW_SECONDS)
        .await?
        >= MAX_SIGN_INS_PER_ADDRESS
    {
        // Audited once per window, not per attempt: a script hammering the form would
        // otherwise fill the audit trail (kept for years) at the speed of the requests.
        if failed_here().await? == MAX_SIGN_INS_PER_ADDRESS + 1 {
            audit_failure("too many failed sign-ins from this address").await?;
        }
        return refuse(
            429,
            &text_with(
                language,
                "note-too-many-here",
                &[("minutes", (SIGN_IN_WINDOW_SECONDS / 60).to_string())],
            ),
        );
    }
    if form.email.chars().any(char::is_control) {
        // No address has one: refused like any unknown address (and never sent to the
        // database, which may not store it).
        audit_failure("the address contains a control character").await?;
        failed_here().await?;
        return refuse(401, &text(language, "note-wrong-credentials"));
    }
    if let Err(refused) = state.sign_in.password_possible(&email) {
        audit_failure(refused.reason()).await?;
        return refuse(403, &text(language, refused.key()));
    }
    let failures = state
        .store
        .accounts
        .recent_failures(&email, Duration::minutes(FAILURE_WINDOW_MINUTES))
        .await?;
    if failures >= MAX_FAILURES {
        audit_failure("locked: too many failed sign-ins for this address").await?;
        return refuse(
            429,
            &text_with(
                language,
                "note-locked",
                &[("minutes", FAILURE_WINDOW_MINUTES.to_string())],
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
        .map_err(|e| AppError::Internal(e.into()))?;
    match account {
        Some(account) if matches && account.active => {
            if let Err(refused) = state.sign_in.password_allowed(&account) {
                audit_failure(refused.reason()).await?;
                return refuse(403, &text(language, refused.key()));
            }
            // Failures are cleared once the person is in (`start_session`): a right password
            // must not wipe the wrong second-factor codes counted against the address.
            if account.time_zone.is_none()
                && let Some(zone) = form.time_zone.as_deref().and_then(known_zone)
            {
                state.store.accounts.set_time_zone(account.id, zone).await?;
            }
            if account.two_factor {
                // The password is right; the session starts once the second factor is given
                // (crate::two_factor), within a few minutes, in this browser.
                crate::pending_sign_in::ask_for_code(&session, &account, &next, now)?;
                return Ok(HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/sign-in/code"))
                    .finish());
            }
            start_session(&state, &session, &request, &account, "").await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next.clone()))
                .finish())
        }
        Some(account) if matches => {
            tracing::info!(staff = %account.id, "sign-in refused: account deactivated");
            audit_failure("the account is deactivated").await?;
            refuse(403, &text(language, "note-deactivated"))
        }
        _ => {
            state.store.accounts.record_failure(&email).await?;
            failed_here().await?;
            audit_failure(if account.is_some() {
                "wrong password"
            } else {
                "no account with this address"
            })
            .await?;
            refuse(401, &text(language, "note-wrong-credentials"))
        }
    }
}

/// Starts a staff session for `account` in this browser, under a new cookie (nothing from
/// before sign-in carries over), and audits the sign-in (`detail`: how, when not by password
/// alone).
pub(crate) async fn start_session(
    state: &AppState,
    session: &Session,
    request: &HttpRequest,
    account: &StaffAccount,
    detail: &str,
) -> Result<(), AppError> {
    let now = state.store.clock.now();
    let address = crate::security::client_address(request);
    state.store.accounts.clear_failures(&account.email).await?;
    if let Some(old) = session.get::<String>(SESSION_KEY).ok().flatten() {
        state.store.sessions.end(&old).await?;
    }
    session.renew();
    session.remove(CSRF_KEY);
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = state
        .store
        .sessions
        .start(account.id, now, &address, user_agent)
        .await?;
    session
        .insert(SESSION_KEY, token)
        .map_err(AppError::session)?;
    state
        .store
        .audit
        .record(
            now,
            AuditAction::SignIn,
            &AuditActor::staff(account),
            &account.email,
            detail,
            &address,
        )
        .await?;
    tracing::info!(staff = %account.id, "signed in");
    Ok(())
}

/// A form with nothing but its CSRF token (a button).
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn sign_out(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    _form: Checked<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = session.get::<String>(SESSION_KEY).ok().flatten() {
        if let Some(live) = state.store.sessions.find(&token).await? {
            state
                .store
                .audit
                .record(
                    state.store.clock.now(),
                    AuditAction::SignOut,
                    &AuditActor::staff(&live.account),
                    &live.account.email,
                    "",
                    &crate::security::client_address(&request),
                )
                .await?;
        }
        // Every copy of the cookie is worthless from now on.
        state.store.sessions.end(&token).await?;
    }
    session.purge();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/sign-in"))
        .finish())
}

/// The IANA name of a time zone we know, as the database spells it.
pub(crate) fn known_zone(name: &str) -> Option<&'static str> {
    name.trim().parse::<chrono_tz::Tz>().ok().map(|z| z.name())
}

csrf_protected!(CsrfForm, SignInForm);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/complaints?page=2")), "/complaints?page=2");
        assert_eq!(safe_next(Some("//evil.example/")), "/complaints");
        assert_eq!(safe_next(Some("https://evil.example/")), "/complaints");
        assert_eq!(safe_next(Some("/\\evil.example")), "/complaints");
        // Browsers drop tabs and line breaks: "/\t/evil.example" is "//evil.example".
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: a=b",
            "/ /x",
            "/\u{0}",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/complaints", "{hostile:?}");
        }
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
