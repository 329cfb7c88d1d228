//! The admins' webhooks pages: register an endpoint (its secret shown once), switch one on or
//! off, and read its delivery log (attempts, status, response time) with a button to send a
//! delivery again.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use redress_store::AuditAction;
use redress_store::webhooks::KINDS;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// The longest endpoint address accepted.
const MAX_URL: usize = 2000;

#[derive(Serialize)]
struct Created {
    url: String,
    secret: String,
}

async fn render_list(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    created: Option<Created>,
    error: Option<&str>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let endpoints = state.store.webhooks.list().await?;
    let mut context = page_context(staff, session)?;
    context.insert("endpoints", &endpoints);
    context.insert("kinds", &KINDS);
    context.insert("created", &created);
    context.insert("error", &error);
    render(state, "admin/webhooks.html", &context, status)
}

/// GET /admin/webhooks
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
) -> Result<HttpResponse, AppError> {
    render_list(&state, &staff, &session, None, None, 200).await
}

/// The form that registers an endpoint: its address, `kind_<Name>` for each kind wanted
/// (or `all`), and whether it may receive personal data.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::BTreeMap<String, String>,
}

impl CreateForm {
    fn ticked(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| !v.is_empty())
    }
}

/// Whether `url` is an address Redress can POST to, or why not.
fn check_url(url: &str) -> Result<(), &'static str> {
    if url.is_empty() || url.len() > MAX_URL || url.chars().any(char::is_control) {
        return Err("admin-webhooks-bad-url");
    }
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(())
        }
        _ => Err("admin-webhooks-bad-url"),
    }
}

/// POST /admin/webhooks: the new endpoint's secret is shown on the answer itself, never in a
/// URL.
pub(crate) async fn create(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<CreateForm>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let url = form.fields.get("url").map(|u| u.trim()).unwrap_or_default();
    let refuse = |key: &str| crate::locale::text(staff.language(), key);
    if let Err(key) = check_url(url) {
        return render_list(&state, &staff, &session, None, Some(&refuse(key)), 422).await;
    }
    let kinds = if form.ticked("all") {
        "*".to_string()
    } else {
        KINDS
            .iter()
            .filter(|kind| form.ticked(&format!("kind_{kind}")))
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    if kinds.is_empty() {
        let error = refuse("admin-webhooks-no-kind");
        return render_list(&state, &staff, &session, None, Some(&error), 422).await;
    }
    let now = state.store.clock.now();
    let (endpoint, secret) = state
        .store
        .webhooks
        .create(
            url,
            &kinds,
            form.ticked("personal_data"),
            &staff.0.name,
            now,
        )
        .await?;
    crate::security::audit(
        &state,
        &request,
        &staff,
        AuditAction::WebhookChanged,
        &endpoint.url,
        &format!("registered for {kinds}"),
    )
    .await?;
    let created = Created {
        url: endpoint.url,
        secret,
    };
    render_list(&state, &staff, &session, Some(created), None, 200).await
}

/// GET /admin/webhooks/{id}: the endpoint and its latest deliveries.
pub(crate) async fn log(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path).map_err(|_| AppError::NotFound)?;
    let endpoint = state
        .store
        .webhooks
        .get(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deliveries = state.store.webhooks.log(id, 200).await?;
    let mut context = page_context(&staff, &session)?;
    context.insert("endpoint", &endpoint);
    context.insert("deliveries", &deliveries);
    render(&state, "admin/webhook.html", &context, 200)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

/// POST /admin/webhooks/{id}/active: switches the endpoint on (what waited is then sent, in
/// order) or off.
pub(crate) async fn set_active(
    state: web::Data<AppState>,
    Signed { staff, form, .. }: Signed<ActiveForm>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(&path).map_err(|_| AppError::NotFound)?;
    let active = match form.active.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadForm("Choose on (1) or off (0).".into())),
    };
    let endpoint = state
        .store
        .webhooks
        .get(id)
        .await?
        .ok_or(AppError::NotFound)?;
    state.store.webhooks.set_active(id, active).await?;
    crate::security::audit(
        &state,
        &request,
        &staff,
        AuditAction::WebhookChanged,
        &endpoint.url,
        if active {
            "switched on"
        } else {
            "switched off"
        },
    )
    .await?;
    if active {
        state.store.projections.webhooks_due().notify();
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/webhooks/{id}")))
        .finish())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ResendForm {
    #[serde(default)]
    csrf: String,
}

/// POST /admin/webhooks/deliveries/{id}/resend: sends a delivery again (delivered or not).
pub(crate) async fn resend(
    state: web::Data<AppState>,
    Signed { .. }: Signed<ResendForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let delivery = state
        .store
        .webhooks
        .delivery(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .webhooks
        .resend(&id, state.store.clock.now())
        .await?;
    state.store.projections.webhooks_due().notify();
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/admin/webhooks/{}", delivery.endpoint_id),
        ))
        .finish())
}

csrf_protected!(CreateForm, ActiveForm, ResendForm);
