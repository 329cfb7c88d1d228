//! `GET /admin/audit`: the audit trail, newest first, by action.

use actix_web::{HttpResponse, web};
use redress_store::{AuditAction, AuditEntry};
use serde::Deserialize;

use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// Audit entries per page.
const AUDIT_PAGE: i64 = 100;

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    action: Option<String>,
    before: Option<i64>,
}

/// GET /admin/audit
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let action = match query.action.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(code) => Some(AuditAction::parse(code).ok_or_else(|| {
            AppError::BadForm(format!(
                "{:?} is not an action of the audit trail; choose one from the list.",
                code.chars().take(40).collect::<String>()
            ))
        })?),
    };
    let entries: Vec<AuditEntry> = state
        .store
        .audit
        .list(action, query.before, AUDIT_PAGE)
        .await?;
    let next = (entries.len() as i64 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let mut context = page_context(&staff, &session)?;
    context.insert(
        "actions",
        &AuditAction::ALL
            .iter()
            .map(|a| (a.code(), a.label()))
            .collect::<Vec<_>>(),
    );
    context.insert("action", &action.map(AuditAction::code));
    context.insert("entries", &entries);
    context.insert("next", &next);
    render(&state, "admin/audit.html", &context, 200)
}
