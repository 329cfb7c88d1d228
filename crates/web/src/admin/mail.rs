//! The admins' mail page: how many customer emails wait, fail or were given up, the troubled
//! ones with their last error, and a button to send a dead one again.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::csrf_protected;
use crate::complaints::timeline::EmailStatus;
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// Troubled messages listed at once.
const LIST_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
pub(crate) struct MailQuery {
    done: Option<String>,
}

/// One troubled message, with its complaint.
#[derive(Debug, serde::Serialize)]
struct Troubled {
    reference: String,
    #[serde(flatten)]
    status: EmailStatus,
}

/// GET /admin/mail
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<MailQuery>,
) -> Result<HttpResponse, AppError> {
    let counts = state.store.outbox.counts().await?;
    let troubled: Vec<Troubled> = state
        .store
        .outbox
        .troubled(LIST_LIMIT)
        .await?
        .into_iter()
        .map(|row| Troubled {
            reference: row.reference.clone(),
            status: EmailStatus::of(row, staff.language()),
        })
        .collect();
    let mut context = page_context(&staff, &session)?;
    context.insert("counts", &counts);
    context.insert("troubled", &troubled);
    context.insert(
        "notice",
        &match query.done.as_deref() {
            Some("retried") => Some(crate::locale::text(staff.language(), "note-mail-retried")),
            _ => None,
        },
    );
    render(&state, "admin/mail.html", &context, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct RetryForm {
    #[serde(default)]
    csrf: String,
}

/// POST /admin/mail/{id}/retry
pub(crate) async fn retry(
    state: web::Data<AppState>,
    Signed { staff, .. }: Signed<RetryForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    if state.store.outbox.get(&id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    if !state.store.outbox.retry(&id, Utc::now()).await? {
        return Err(AppError::Rejected(
            "Only an email that was given up can be sent again; this one is not.".into(),
        ));
    }
    tracing::info!(%id, staff = %staff.0.id, "dead email queued again");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/mail?done=retried"))
        .finish())
}

csrf_protected!(RetryForm);
