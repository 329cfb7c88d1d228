//! `GET/POST /admin/retention`: the retention period, who is due, the last runs, and a run now.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use redress_store::{AuditAction, AuditActor};
use serde::Deserialize;

use crate::auth::csrf_protected;
use crate::error::AppError;
use crate::security::client_address;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// The retention period (the app's data).
#[derive(Debug, Clone, Copy)]
pub struct RetentionDays(pub u32);

#[derive(Debug, Deserialize)]
pub(crate) struct RetentionQuery {
    customers: Option<usize>,
    complaints: Option<usize>,
}

/// GET /admin/retention
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    days: web::Data<RetentionDays>,
    query: web::Query<RetentionQuery>,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(&staff, &session)?;
    context.insert("days", &days.0);
    if days.0 > 0 {
        let cutoff = state.store.clock.now() - chrono::Duration::days(i64::from(days.0));
        context.insert("cutoff", &cutoff);
        context.insert("due", &state.store.retention.due(cutoff).await?.len());
    }
    context.insert(
        "runs",
        &state
            .store
            .audit
            .list(Some(AuditAction::RetentionRun), None, 20)
            .await?,
    );
    context.insert(
        "notice",
        &query
            .customers
            .zip(query.complaints)
            .map(|(customers, complaints)| {
                format!("Retention ran: erased {customers} customer(s), {complaints} complaint(s).")
            }),
    );
    render(&state, "admin/retention.html", &context, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct RunForm {
    #[serde(default)]
    csrf: String,
}

/// POST /admin/retention: runs a retention pass now.
pub(crate) async fn run(
    state: web::Data<AppState>,
    Signed { staff, .. }: Signed<RunForm>,
    request: HttpRequest,
    days: web::Data<RetentionDays>,
) -> Result<HttpResponse, AppError> {
    if days.0 == 0 {
        return Err(AppError::Rejected(
            "Retention is off (retention_days is 0): nothing is erased.".into(),
        ));
    }
    let cutoff = state.store.clock.now() - chrono::Duration::days(i64::from(days.0));
    let report = state
        .store
        .retention
        .pass(
            cutoff,
            &AuditActor::staff(&staff.0),
            &client_address(&request),
        )
        .await?
        .ok_or_else(|| {
            AppError::Conflict(
                "Another retention run is in progress; what it erases will be in the audit trail."
                    .into(),
            )
        })?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!(
                "/admin/retention?customers={}&complaints={}",
                report.customers, report.complaints
            ),
        ))
        .finish())
}

csrf_protected!(RunForm);
