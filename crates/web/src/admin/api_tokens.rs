//! The admins' API tokens page: create a token (shown once), see when each was last used,
//! revoke one (it stops working at once).

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_store::Scope;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

async fn render_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    created: Option<(String, String)>,
    error: Option<&str>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let tokens = state.store.api_tokens.list().await?;
    let mut context = page_context(staff, session)?;
    context.insert("tokens", &tokens);
    context.insert("created", &created);
    context.insert("error", &error);
    render(state, "admin/api_tokens.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /admin/api-tokens
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let _ = query.done;
    render_page(&state, &staff, &session, None, None, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope_read: Option<String>,
    #[serde(default)]
    scope_file: Option<String>,
    #[serde(default)]
    scope_act: Option<String>,
    #[serde(default)]
    scope_admin: Option<String>,
}

impl CreateForm {
    /// The scopes ticked.
    fn scopes(&self) -> Vec<Scope> {
        [
            (&self.scope_read, Scope::Read),
            (&self.scope_file, Scope::File),
            (&self.scope_act, Scope::Act),
            (&self.scope_admin, Scope::Admin),
        ]
        .into_iter()
        .filter(|(ticked, _)| ticked.as_deref().is_some_and(|v| !v.is_empty()))
        .map(|(_, scope)| scope)
        .collect()
    }
}

/// POST /admin/api-tokens: the new token is shown on the answer itself, never in a URL.
pub(crate) async fn create(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<CreateForm>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, AppError> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return render_page(
            &state,
            &staff,
            &session,
            None,
            Some("Name the token after what will use it (one line, at most 100 characters)."),
            422,
        )
        .await;
    }
    let scopes = form.scopes();
    if scopes.is_empty() {
        return render_page(
            &state,
            &staff,
            &session,
            None,
            Some(&crate::locale::text(
                staff.language(),
                "admin-tokens-no-scope",
            )),
            422,
        )
        .await;
    }
    let (token, record) = state
        .store
        .api_tokens
        .create(name, &scopes, &staff.0.name)
        .await?;
    tracing::info!(token = %record.id, staff = %staff.0.id, "API token created");
    crate::security::audit(
        &state,
        &request,
        &staff,
        redress_store::AuditAction::TokenCreated,
        &record.name,
        &record.id.to_string(),
    )
    .await?;
    render_page(
        &state,
        &staff,
        &session,
        Some((record.name, token)),
        None,
        200,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

/// POST /admin/api-tokens/{id}/revoke
pub(crate) async fn revoke(
    state: web::Data<AppState>,
    Signed { staff, .. }: Signed<RevokeForm>,
    request: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path).map_err(|_| AppError::NotFound)?;
    if !state.store.api_tokens.revoke(id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(token = %id, staff = %staff.0.id, "API token revoked");
    crate::security::audit(
        &state,
        &request,
        &staff,
        redress_store::AuditAction::TokenRevoked,
        &id.to_string(),
        "",
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/api-tokens?done=revoked"))
        .finish())
}

csrf_protected!(CreateForm, RevokeForm);
