//! Staff accounts, managed by admins: the list, a form to create an account, and per account
//! a form to change its role and one to deactivate or reactivate it.
//!
//! Accounts are never deleted: a deactivated person cannot sign in (and their open session
//! ends at once), while the events they recorded keep their name. An admin cannot demote or
//! deactivate themselves, so a team cannot lock itself out of its own staff pages.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use redress_domain::{ComplaintError, CustomerEmail, Language};
use redress_store::{AccountError, AuditAction, Role, StaffAccount, accounts};
use serde::{Deserialize, Serialize};

use crate::auth::{CurrentStaff, account_in_path, csrf_protected};
use crate::error::AppError;
use crate::locale::{self, text, text_with};
use crate::security::audit;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// The page's address.
const PAGE: &str = "/admin/users";

/// The fields of the "New staff account" form, kept when it is shown again (all but the
/// password).
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct NewAccountForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default, skip_serializing)]
    password: String,
}

/// The form that changes an account's role.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// The form that deactivates (`active=false`) or reactivates (`active=true`) an account.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

/// The one-line notice after a change (`?done=…`).
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    done: Option<String>,
}

/// A refused form of one account's row, shown in that row.
#[derive(Debug, Default, Serialize)]
struct RowError {
    /// The account (empty when no row form was refused).
    id: String,
    /// `role` or `active`.
    form: &'static str,
    /// Why.
    message: String,
    /// The role that was chosen, kept selected.
    role: String,
}

/// One account as the table shows it.
#[derive(Debug, Serialize)]
struct AccountView {
    #[serde(flatten)]
    account: StaffAccount,
    /// The admin looking at the page.
    is_self: bool,
    /// How many passkeys they have.
    passkeys: i64,
}

/// What the page shows besides the accounts.
#[derive(Debug, Default)]
struct PageView {
    form: NewAccountForm,
    errors: BTreeMap<&'static str, String>,
    row_error: RowError,
    notice: Option<String>,
}

/// The one-line notice after a change (`?done=…`), in `language`.
fn notice(language: Language, done: &str) -> Option<String> {
    let key = match done {
        "created" => "note-account-created",
        "role" => "note-role-changed",
        "deactivated" => "note-account-deactivated",
        "reactivated" => "note-account-reactivated",
        "signed_out" => "note-signed-out",
        "password" => "note-password-set",
        "two_factor_reset" => "tf-admin-reset-done",
        "two_factor_roles" => "tf-admin-roles-done",
        "sso_only" => "note-sso-only-set",
        "passkeys_removed" => "note-passkeys-removed",
        "sso_allowed" => "note-sso-only-lifted",
        _ => return None,
    };
    Some(text(language, key))
}

fn role_label(language: Language, role: Role) -> String {
    let english = match role {
        Role::Agent => "Agent",
        Role::Manager => "Manager",
        Role::Admin => "Admin",
    };
    locale::label(language, "role", role.code(), english)
}

/// Why a change to a staff account was refused, in `language` (the store says it in English).
pub(crate) fn account_refusal(language: Language, error: &AccountError) -> String {
    match error {
        AccountError::EmailTaken(email) => text_with(
            language,
            "note-account-email-taken",
            &[("email", email.clone())],
        ),
        AccountError::InvalidName => text(language, "note-account-invalid-name"),
        AccountError::WeakPassword => text(language, "note-account-weak-password"),
        AccountError::UnknownRole(role) => text_with(
            language,
            "note-account-unknown-role",
            &[("role", role.clone())],
        ),
        AccountError::NotFound => text(language, "note-account-not-found"),
        AccountError::LastAdmin => text(language, "note-account-last-admin"),
        AccountError::InvalidEmail(_) | AccountError::Store(_) => error.to_string(),
    }
}

async fn render_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    view: PageView,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let passkeys = state.store.passkeys.counts().await?;
    let accounts: Vec<AccountView> = state
        .store
        .accounts
        .list()
        .await?
        .into_iter()
        .map(|account| AccountView {
            is_self: account.id == staff.0.id,
            passkeys: passkeys.get(&account.id).copied().unwrap_or(0),
            account,
        })
        .collect();
    let roles: Vec<(&str, String)> = Role::ALL
        .into_iter()
        .map(|r| (r.code(), role_label(staff.language(), r)))
        .collect();
    let mut context = page_context(staff, session)?;
    context.insert("accounts", &accounts);
    context.insert("roles", &roles);
    context.insert("form", &view.form);
    context.insert("errors", &view.errors);
    context.insert("row_error", &view.row_error);
    context.insert("notice", &view.notice);
    let required: Vec<&str> = state
        .store
        .two_factor
        .required_roles()
        .await?
        .into_iter()
        .map(Role::code)
        .collect();
    context.insert("two_factor_roles", &required);
    context.insert("sso", &state.sign_in.sso.is_some());
    render(state, "admin/users.html", &context, status)
}

fn back_to_page(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{PAGE}?done={done}")))
        .finish()
}

/// `GET /admin/users`: the accounts and the forms.
pub(crate) async fn users(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let view = PageView {
        form: NewAccountForm {
            role: Role::Agent.code().into(),
            ..NewAccountForm::default()
        },
        notice: query
            .done
            .as_deref()
            .and_then(|done| notice(staff.language(), done)),
        ..PageView::default()
    };
    render_page(&state, &staff, &session, view, 200).await
}

/// Which field of the new-account form a refusal is about.
fn field_of(error: &AccountError) -> &'static str {
    match error {
        AccountError::EmailTaken(_) | AccountError::InvalidEmail(_) => "email",
        AccountError::InvalidName => "name",
        AccountError::WeakPassword => "password",
        AccountError::UnknownRole(_) => "role",
        AccountError::NotFound | AccountError::LastAdmin | AccountError::Store(_) => "form",
    }
}

/// The new-account form again, with its reasons beside the fields (422).
async fn refuse_new(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    form: NewAccountForm,
    errors: BTreeMap<&'static str, String>,
) -> Result<HttpResponse, AppError> {
    let view = PageView {
        form,
        errors,
        ..PageView::default()
    };
    render_page(state, staff, session, view, 422).await
}

/// `POST /admin/users`: creates an account.
pub(crate) async fn create(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<NewAccountForm>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let language = staff.language();
    let refusal = |error: &AccountError| account_refusal(language, error);
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    // Everything cheap is checked first, so every mistake shows at once and a refused form
    // costs no password hashing.
    let email = match CustomerEmail::parse(&form.email) {
        Ok(email) => Some(email.normalised()),
        Err(e) => {
            errors.insert(
                "email",
                crate::refusals::refusal(language, &ComplaintError::Invalid(e)),
            );
            None
        }
    };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name", refusal(&AccountError::InvalidName));
    }
    let role = Role::parse(&form.role)
        .map_err(|e| errors.insert("role", refusal(&e)))
        .ok();
    if !(12..=200).contains(&form.password.chars().count()) {
        errors.insert("password", refusal(&AccountError::WeakPassword));
    }
    if let Some(email) = &email
        && state.store.accounts.credentials(email).await?.is_some()
    {
        errors.insert("email", refusal(&AccountError::EmailTaken(email.clone())));
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return refuse_new(&state, &staff, &session, form, errors).await;
    };
    let password = form.password.clone();
    // Hashing takes tens of milliseconds on purpose: off the async threads.
    let hashed = web::block(move || accounts::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let created = match hashed {
        Ok(hash) => state.store.accounts.create(&email, name, role, &hash).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(account) => {
            tracing::info!(admin = %staff.0.id, account = %account.id, role = %role, "staff account created");
            audit(
                &state,
                &request,
                &staff,
                AuditAction::AccountCreated,
                &account.email,
                &format!("role {role}"),
            )
            .await?;
            Ok(back_to_page("created"))
        }
        Err(AccountError::Store(error)) => Err(error.into()),
        Err(error) => {
            errors.insert(field_of(&error), refusal(&error));
            refuse_new(&state, &staff, &session, form, errors).await
        }
    }
}

/// `POST /admin/users/{id}/role`: changes an account's role.
pub(crate) async fn change_role(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<RoleForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = account_in_path(&state, &path).await?;
    let language = staff.language();
    let refusal = match Role::parse(&form.role) {
        Err(error) => Some(account_refusal(language, &error)),
        Ok(role) if account.id == staff.0.id && role != Role::Admin => {
            Some(text(language, "note-own-admin-role"))
        }
        // Nothing to change: nothing done (and nobody signed out).
        Ok(role) if role == account.role => None,
        Ok(role) => match state.store.accounts.set_role(account.id, role).await {
            Ok(()) => {
                tracing::info!(admin = %staff.0.id, account = %account.id, from = %account.role, to = %role, "staff role changed");
                // What they may do changed: they sign in again under the new role.
                let ended = state.store.sessions.end_all(account.id).await?;
                audit(
                    &state,
                    &request,
                    &staff,
                    AuditAction::RoleChanged,
                    &account.email,
                    &format!("{} to {role}; {ended} session(s) ended", account.role),
                )
                .await?;
                None
            }
            Err(error @ AccountError::LastAdmin) => Some(account_refusal(language, &error)),
            Err(other) => return Err(other.into()),
        },
    };
    match refusal {
        None => Ok(back_to_page("role")),
        Some(message) => {
            let view = row_refusal(
                &account,
                "role",
                message,
                form.role.trim().to_ascii_lowercase(),
            );
            render_page(&state, &staff, &session, view, 422).await
        }
    }
}

/// The page again with a refused row form's reason in that row.
fn row_refusal(
    account: &StaffAccount,
    form: &'static str,
    message: String,
    role: String,
) -> PageView {
    PageView {
        form: NewAccountForm {
            role: Role::Agent.code().into(),
            ..NewAccountForm::default()
        },
        row_error: RowError {
            id: account.id.to_string(),
            form,
            message,
            role,
        },
        ..PageView::default()
    }
}

/// `POST /admin/users/{id}/active`: deactivates (`active=false`) or reactivates
/// (`active=true`) an account.
pub(crate) async fn set_active(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<ActiveForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = account_in_path(&state, &path).await?;
    let language = staff.language();
    let active = match form.active.trim() {
        "true" => true,
        "false" => false,
        other => {
            return Err(AppError::BadForm(text_with(
                language,
                "note-bad-active",
                &[(
                    "value",
                    format!("{:?}", other.chars().take(30).collect::<String>()),
                )],
            )));
        }
    };
    let refusal = if account.id == staff.0.id && !active {
        Some(text(language, "note-own-deactivate"))
    } else {
        match state.store.accounts.set_active(account.id, active).await {
            Ok(()) => None,
            Err(error @ AccountError::LastAdmin) => Some(account_refusal(language, &error)),
            Err(other) => return Err(other.into()),
        }
    };
    if let Some(message) = refusal {
        let view = row_refusal(&account, "active", message, String::new());
        return render_page(&state, &staff, &session, view, 422).await;
    }
    tracing::info!(admin = %staff.0.id, account = %account.id, active, "staff account activation changed");
    let ended = if active {
        0
    } else {
        state.store.sessions.end_all(account.id).await?
    };
    audit(
        &state,
        &request,
        &staff,
        AuditAction::AccountActivity,
        &account.email,
        &if active {
            "reactivated".to_string()
        } else {
            format!("deactivated; {ended} session(s) ended")
        },
    )
    .await?;
    Ok(back_to_page(if active {
        "reactivated"
    } else {
        "deactivated"
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SsoOnlyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sso_only: String,
}

/// `POST /admin/users/{id}/sso-only`: limits an account to single sign-on (its password and
/// passkeys no longer sign in; its sessions go on), or lifts that.
pub(crate) async fn set_sso_only(
    state: web::Data<AppState>,
    Signed { staff, form, .. }: Signed<SsoOnlyForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = account_in_path(&state, &path).await?;
    let sso_only = match form.sso_only.trim() {
        "true" => true,
        "false" => false,
        other => {
            return Err(AppError::BadForm(text_with(
                staff.language(),
                "note-bad-active",
                &[(
                    "value",
                    format!("{:?}", other.chars().take(30).collect::<String>()),
                )],
            )));
        }
    };
    state
        .store
        .accounts
        .set_sso_only(account.id, sso_only)
        .await?;
    audit(
        &state,
        &request,
        &staff,
        AuditAction::SsoOnlyChanged,
        &account.email,
        if sso_only {
            "single sign-on only"
        } else {
            "password sign-in allowed again"
        },
    )
    .await?;
    Ok(back_to_page(if sso_only {
        "sso_only"
    } else {
        "sso_allowed"
    }))
}

/// `POST /admin/users/{id}/passkeys/remove`: takes all of a person's passkeys away (a lost
/// device), audited.
pub(crate) async fn remove_passkeys(
    state: web::Data<AppState>,
    Signed { staff, .. }: Signed<crate::auth::CsrfForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = account_in_path(&state, &path).await?;
    let removed = state.store.passkeys.remove_all(account.id).await?;
    if removed == 0 {
        return Ok(back_to_page("none"));
    }
    audit(
        &state,
        &request,
        &staff,
        AuditAction::PasskeyRemoved,
        &account.email,
        &format!("all {removed} removed by an admin"),
    )
    .await?;
    Ok(back_to_page("passkeys_removed"))
}

csrf_protected!(ActiveForm, NewAccountForm, RoleForm, SsoOnlyForm);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_notices_are_shown() {
        for done in [
            "created",
            "role",
            "deactivated",
            "reactivated",
            "signed_out",
            "password",
        ] {
            for language in Language::ALL {
                let words = notice(*language, done).unwrap_or_default();
                assert!(!words.is_empty() && !words.contains("Unknown localization"));
            }
        }
        assert_eq!(notice(Language::En, "<script>"), None);
        assert_eq!(
            notice(Language::En, "role").as_deref(),
            Some("The role was changed.")
        );
    }

    #[test]
    fn account_refusals_read_as_the_store_words_them_in_english() {
        for error in [
            AccountError::EmailTaken("a@b.c".into()),
            AccountError::InvalidEmail("not an address".into()),
            AccountError::InvalidName,
            AccountError::WeakPassword,
            AccountError::UnknownRole("root".into()),
            AccountError::NotFound,
            AccountError::LastAdmin,
        ] {
            assert_eq!(account_refusal(Language::En, &error), error.to_string());
            for language in Language::ALL {
                let words = account_refusal(*language, &error);
                assert!(!words.contains("Unknown localization"), "{words}");
            }
        }
        for role in Role::ALL {
            assert_eq!(
                role_label(Language::En, role),
                match role {
                    Role::Agent => "Agent",
                    Role::Manager => "Manager",
                    Role::Admin => "Admin",
                }
            );
        }
    }

    #[test]
    fn every_account_refusal_points_at_a_field_of_the_form() {
        assert_eq!(field_of(&AccountError::EmailTaken("a@b.c".into())), "email");
        assert_eq!(field_of(&AccountError::WeakPassword), "password");
        assert_eq!(field_of(&AccountError::InvalidName), "name");
        assert_eq!(field_of(&AccountError::UnknownRole("root".into())), "role");
    }
}
