//! A forgotten password: `/forgot-password` asks for the sign-in address and sends a link
//! through the outbox (the answer is the same whether or not an account has that address);
//! `/reset-password/{token}` chooses a new password with it, once, within
//! [`redress_store::password_resets::LINK_LIFETIME`], ending every session of the person.
//! Requests are limited per address and per client, and everything is in the audit trail.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use redress_domain::Language;
use redress_store::accounts::{self, AccountError};
use redress_store::{AuditAction, AuditActor};
use serde::Deserialize;

use crate::auth::{Checked, csrf_protected, csrf_token};
use crate::error::AppError;
use crate::locale::text;
use crate::security::client_address;
use crate::{AppState, render};

/// Links one address may be sent per window (the same answer is given past it).
pub const MAX_PER_ADDRESS: i64 = 3;
/// Requests one client may make per window (past it: 429).
pub const MAX_PER_CLIENT: i64 = 10;
/// The window those are counted in, in seconds.
pub const WINDOW_SECONDS: i64 = 3600;

#[derive(Debug, Deserialize)]
pub(crate) struct ForgotQuery {
    sent: Option<String>,
}

fn forgot_page(
    state: &AppState,
    session: &Session,
    language: Language,
    notice: Option<&str>,
    error: Option<&str>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let notice = notice.map(|key| text(language, key));
    let error = error.map(|key| text(language, key));
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    context.insert("csrf", &csrf_token(session)?);
    context.insert("notice", &notice);
    context.insert("error", &error);
    render(state, "auth/forgot_password.html", &context, status)
}

/// GET /forgot-password
pub(crate) async fn forgot_form(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    query: web::Query<ForgotQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = query.sent.is_some().then_some("note-link-sent");
    let language = crate::locale::of_request(&request);
    forgot_page(&state, &session, language, notice, None, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

csrf_protected!(ForgotForm);

/// POST /forgot-password
pub(crate) async fn forgot(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: Checked<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let language = crate::locale::of_request(&request);
    let email = form.email.trim().to_lowercase();
    // 254 characters: the longest address mail can carry (RFC 5321); longer is no address,
    // and would only fill the rate-limit and audit tables.
    if email.is_empty() || !email.contains('@') || email.chars().count() > 254 {
        return forgot_page(
            &state,
            &session,
            language,
            None,
            Some("note-give-email"),
            422,
        );
    }
    let now = state.store.clock.now();
    let address = client_address(&request);
    let limits = &state.store.rate_limits;
    if limits
        .count_hit(&format!("forgot:client:{address}"), now, WINDOW_SECONDS)
        .await?
        > MAX_PER_CLIENT
    {
        return forgot_page(
            &state,
            &session,
            language,
            None,
            Some("note-too-many-requests"),
            429,
        );
    }
    let for_address = limits
        .count_hit(&format!("forgot:email:{email}"), now, WINDOW_SECONDS)
        .await?;
    let account = state
        .store
        .accounts
        .credentials(&email)
        .await?
        .map(|(account, _)| account)
        .filter(|a| a.active);
    let detail = match &account {
        _ if for_address > MAX_PER_ADDRESS => "not sent: too many links asked for this address",
        None => "not sent: no active account has this address",
        // A new password would not sign them in: no link.
        Some(account) if state.sign_in.password_allowed(account).is_err() => {
            "not sent: a password does not sign this account in (single sign-on)"
        }
        Some(account) => {
            state.store.password_resets.request(account, now).await?;
            "a link was sent"
        }
    };
    state
        .store
        .audit
        .record(
            now,
            AuditAction::PasswordResetAsked,
            &AuditActor::anonymous(&email),
            &email,
            detail,
            &address,
        )
        .await?;
    // The same answer either way: the page does not tell who has an account.
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/forgot-password?sent=1"))
        .finish())
}

/// The page for a link that no longer works (410).
fn spent(state: &AppState, language: Language) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    render(state, "auth/reset_link_spent.html", &context, 410)
}

fn reset_page(
    state: &AppState,
    session: &Session,
    language: Language,
    token: &str,
    name: &str,
    error: Option<&str>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    context.insert("csrf", &csrf_token(session)?);
    context.insert("token", token);
    context.insert("name", name);
    context.insert("error", &error);
    render(state, "auth/reset_password.html", &context, status)
}

/// GET /reset-password/{token}
pub(crate) async fn reset_form(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let language = crate::locale::of_request(&request);
    let token = path.into_inner();
    let now = state.store.clock.now();
    match state
        .store
        .password_resets
        .open(&state.store.accounts, &token, now)
        .await?
    {
        Some(account) => reset_page(&state, &session, language, &token, &account.name, None, 200),
        None => spent(&state, language),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewPasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

csrf_protected!(NewPasswordForm);

/// POST /reset-password/{token}
pub(crate) async fn reset(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
    form: Checked<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let language = crate::locale::of_request(&request);
    let token = path.into_inner();
    let now = state.store.clock.now();
    let resets = &state.store.password_resets;
    let Some(account) = resets.open(&state.store.accounts, &token, now).await? else {
        return spent(&state, language);
    };
    let form = form.into_inner();
    let refuse = |refusal: &str| {
        reset_page(
            &state,
            &session,
            language,
            &token,
            &account.name,
            Some(refusal),
            422,
        )
    };
    if form.new != form.confirm {
        return refuse(&text(language, "note-confirmation-differs"));
    }
    let new = form.new;
    let hash = match web::block(move || accounts::hash_password(&new))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    {
        Ok(hash) => hash,
        Err(AccountError::Store(error)) => return Err(error.into()),
        Err(error) => {
            return refuse(&crate::admin::users::account_refusal(language, &error));
        }
    };
    // Used once: a second tab, or a replay, finds it spent.
    let Some(account) = resets.consume(&state.store.accounts, &token, now).await? else {
        return spent(&state, language);
    };
    state
        .store
        .accounts
        .set_password(account.id, &hash, false)
        .await
        .map_err(|e| match e {
            AccountError::Store(error) => AppError::from(error),
            other => AppError::Internal(other.into()),
        })?;
    let ended = state.store.sessions.end_all(account.id).await?;
    state
        .store
        .audit
        .record(
            now,
            AuditAction::PasswordResetUsed,
            &AuditActor::staff(&account),
            &account.email,
            &format!("{ended} session(s) ended"),
            &client_address(&request),
        )
        .await?;
    session.purge();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/sign-in?changed=1"))
        .finish())
}
