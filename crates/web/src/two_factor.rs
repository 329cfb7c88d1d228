//! Two-factor sign-in with an authenticator app (`redress_store::two_factor`).
//!
//! - `/account/two-factor`: a person turns it on by scanning a QR code drawn here (SVG, no
//!   outside service) and confirming a code; they get ten recovery codes, shown once. They
//!   turn it off with a code, unless their role requires it.
//! - Signing in: a right password for an account with a second factor starts no session; the
//!   browser is asked for a code (`/sign-in/code`) within five minutes. Wrong and reused codes
//!   count toward the same limits as wrong passwords (per address and per client).
//! - Admins require it per role (a person of that role is led to set it up before anything
//!   else, `crate::access`), and reset a person's second factor. Everything is audited.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use redress_domain::Language;
use redress_store::{AuditAction, AuditActor, Role, Verified, two_factor};
use serde::{Deserialize, Serialize};

use crate::auth::{
    Checked, CsrfForm, FAILURE_WINDOW_MINUTES, MAX_FAILURES, MAX_SIGN_INS_PER_ADDRESS,
    SIGN_IN_WINDOW_SECONDS, csrf_protected, csrf_token,
};
use crate::error::AppError;
use crate::locale::{of_request, text, text_with};
use crate::pending_sign_in::{PENDING_KEY, pending};
use crate::signed::Signed;
use crate::{AppState, render};

/// Where the secret being set up is kept until its first code confirms it.
const SETUP_KEY: &str = "two_factor_setup";

fn to(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

fn code_page(
    state: &AppState,
    session: &Session,
    language: Language,
    error: Option<&str>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    context.insert("csrf", &csrf_token(session)?);
    context.insert("error", &error);
    render(state, "auth/code.html", &context, status)
}

/// GET /sign-in/code
pub(crate) async fn code_form(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if pending(&session, state.store.clock.now()).is_none() {
        return Ok(to("/sign-in"));
    }
    code_page(&state, &session, of_request(&request), None, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// POST /sign-in/code
pub(crate) async fn sign_in_with_code(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: Checked<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let language = of_request(&request);
    let now = state.store.clock.now();
    let Some(waiting) = pending(&session, now) else {
        // Too late, or never asked: the password again.
        session.remove(PENDING_KEY);
        return Ok(to("/sign-in?expired=1"));
    };
    let Some(account) = state
        .store
        .accounts
        .get(waiting.account)
        .await?
        .filter(|a| a.active)
    else {
        session.remove(PENDING_KEY);
        return Ok(to("/sign-in"));
    };
    let address = crate::security::client_address(&request);
    let client_key = format!("sign-in:{address}");
    let limits = &state.store.rate_limits;
    if limits
        .count(&client_key, now, SIGN_IN_WINDOW_SECONDS)
        .await?
        >= MAX_SIGN_INS_PER_ADDRESS
    {
        return code_page(
            &state,
            &session,
            language,
            Some(&text_with(
                language,
                "note-too-many-here",
                &[("minutes", (SIGN_IN_WINDOW_SECONDS / 60).to_string())],
            )),
            429,
        );
    }
    if state
        .store
        .accounts
        .recent_failures(&account.email, Duration::minutes(FAILURE_WINDOW_MINUTES))
        .await?
        >= MAX_FAILURES
    {
        session.remove(PENDING_KEY);
        return code_page(
            &state,
            &session,
            language,
            Some(&text_with(
                language,
                "note-locked",
                &[("minutes", FAILURE_WINDOW_MINUTES.to_string())],
            )),
            429,
        );
    }
    let verified = state
        .store
        .two_factor
        .verify(account.id, &form.code, now)
        .await?;
    let (refusal, why) = match verified {
        Verified::Code => {
            session.remove(PENDING_KEY);
            crate::auth::start_session(&state, &session, &request, &account, "with a code").await?;
            return Ok(to(&waiting.next));
        }
        Verified::RecoveryCode => {
            session.remove(PENDING_KEY);
            let left = state
                .store
                .two_factor
                .recovery_codes_left(account.id)
                .await?;
            crate::auth::start_session(
                &state,
                &session,
                &request,
                &account,
                &format!("with a recovery code ({left} left)"),
            )
            .await?;
            return Ok(to(&waiting.next));
        }
        Verified::Reused => ("tf-code-reused", "a code already used"),
        Verified::Wrong => ("tf-code-wrong", "a wrong code"),
    };
    state.store.accounts.record_failure(&account.email).await?;
    limits
        .count_hit(&client_key, now, SIGN_IN_WINDOW_SECONDS)
        .await?;
    state
        .store
        .audit
        .record(
            now,
            AuditAction::SignInFailed,
            &AuditActor::anonymous(&account.email),
            &account.email,
            why,
            &address,
        )
        .await?;
    code_page(
        &state,
        &session,
        language,
        Some(&text(language, refusal)),
        401,
    )
}

/// The `/account/two-factor` page.
#[derive(Debug, Serialize)]
struct SetupView {
    enabled: bool,
    required: bool,
    /// While setting up: the secret (to type in by hand), and its QR code as SVG.
    secret: Option<String>,
    qr: Option<String>,
    /// Just turned on: the recovery codes, shown this once.
    codes: Vec<String>,
    codes_left: i64,
    notice: Option<String>,
    error: Option<String>,
}

async fn setup_page(
    state: &AppState,
    signed: &Signed<impl Sized>,
    codes: Vec<String>,
    notice: Option<String>,
    error: Option<String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let staff = &signed.staff.0;
    let enabled = state.store.two_factor.enabled(staff.id).await?;
    let (secret, qr) = if enabled {
        (None, None)
    } else {
        let secret = match signed.session.get::<String>(SETUP_KEY).ok().flatten() {
            Some(secret) => secret,
            None => {
                let secret = two_factor::new_secret();
                signed
                    .session
                    .insert(SETUP_KEY, &secret)
                    .map_err(AppError::session)?;
                secret
            }
        };
        let url = two_factor::otpauth_url(&secret, "Redress", &staff.email);
        let qr = qrcode::QrCode::new(url.as_bytes())
            .map_err(|e| AppError::Internal(format!("QR code: {e}").into()))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        (Some(secret), Some(qr))
    };
    let view = SetupView {
        enabled,
        required: staff.two_factor_required,
        secret,
        qr,
        codes,
        codes_left: state.store.two_factor.recovery_codes_left(staff.id).await?,
        notice,
        error,
    };
    crate::page::Page::new(&signed.staff, &signed.session, view)?.render(
        state,
        "account/two_factor.html",
        status,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct SetupQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /account/two-factor
pub(crate) async fn setup(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, AppError> {
    let language = signed.staff.language();
    let notice = match query.done.as_deref() {
        Some("off") => Some(text(language, "tf-turned-off")),
        _ => None,
    };
    setup_page(&state, &signed, Vec::new(), notice, None, 200).await
}

/// POST /account/two-factor: the first code confirms the secret being set up.
pub(crate) async fn confirm(
    state: web::Data<AppState>,
    request: HttpRequest,
    signed: Signed<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let language = signed.staff.language();
    let now = state.store.clock.now();
    let Some(secret) = signed.session.get::<String>(SETUP_KEY).ok().flatten() else {
        return Ok(to("/account/two-factor"));
    };
    let Some(step) = two_factor::step_of(&secret, &signed.form.code, now)? else {
        let error = text(language, "tf-setup-wrong");
        return setup_page(&state, &signed, Vec::new(), None, Some(error), 422).await;
    };
    let codes = state
        .store
        .two_factor
        .enable(signed.staff.0.id, &secret, step, now)
        .await?;
    signed.session.remove(SETUP_KEY);
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::TwoFactorEnabled,
        &signed.staff.0.email,
        "",
    )
    .await?;
    setup_page(&state, &signed, codes, None, None, 200).await
}

/// POST /account/two-factor/off: with a code, unless the person's role requires it.
pub(crate) async fn turn_off(
    state: web::Data<AppState>,
    request: HttpRequest,
    signed: Signed<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let language = signed.staff.language();
    if signed.staff.0.two_factor_required {
        let error = text(language, "tf-required-cannot-turn-off");
        return setup_page(&state, &signed, Vec::new(), None, Some(error), 422).await;
    }
    let verified = state
        .store
        .two_factor
        .verify(
            signed.staff.0.id,
            &signed.form.code,
            state.store.clock.now(),
        )
        .await?;
    if !matches!(verified, Verified::Code | Verified::RecoveryCode) {
        let error = text(language, "tf-code-wrong");
        return setup_page(&state, &signed, Vec::new(), None, Some(error), 422).await;
    }
    state.store.two_factor.remove(signed.staff.0.id).await?;
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::TwoFactorRemoved,
        &signed.staff.0.email,
        "turned off by its owner",
    )
    .await?;
    Ok(to("/account/two-factor?done=off"))
}

/// POST /admin/users/{id}/two-factor/reset: an admin takes a person's second factor away
/// (a lost phone); they set it up again at their next sign-in if their role requires it.
pub(crate) async fn reset(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    signed: Signed<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let account = crate::auth::account_in_path(&state, &path).await?;
    if !state.store.two_factor.remove(account.id).await? {
        return Ok(to("/admin/users"));
    }
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::TwoFactorRemoved,
        &account.email,
        "reset by an admin",
    )
    .await?;
    Ok(to("/admin/users?done=two_factor_reset"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct RolesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    manager: Option<String>,
    #[serde(default)]
    admin: Option<String>,
}

/// POST /admin/two-factor-roles: which roles must sign in with a second factor.
pub(crate) async fn roles(
    state: web::Data<AppState>,
    request: HttpRequest,
    signed: Signed<RolesForm>,
) -> Result<HttpResponse, AppError> {
    let form = &signed.form;
    let mut required = Vec::new();
    for (role, ticked) in [
        (Role::Agent, form.agent.is_some()),
        (Role::Manager, form.manager.is_some()),
        (Role::Admin, form.admin.is_some()),
    ] {
        state.store.two_factor.require(role, ticked).await?;
        if ticked {
            required.push(role.code());
        }
    }
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::TwoFactorRoles,
        "roles",
        &if required.is_empty() {
            "none".to_string()
        } else {
            required.join(", ")
        },
    )
    .await?;
    Ok(to("/admin/users?done=two_factor_roles"))
}

csrf_protected!(CodeForm, RolesForm);
