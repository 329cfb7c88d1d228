//! `/admin/intake`: how the email intake stands, and the messages it set aside (to dismiss).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf_protected;
use crate::emails::id_of;
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// Messages set aside listed at once.
const LIST_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
pub(crate) struct IntakeQuery {
    done: Option<String>,
}

/// GET /admin/intake
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<IntakeQuery>,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(&staff, &session)?;
    context.insert("configured", &state.intake.is_some());
    context.insert("status", &state.intake.as_ref().map(|s| s.get()));
    context.insert("counts", &state.store.inbound.counts().await?);
    context.insert(
        "set_aside",
        &state.store.inbound.set_aside_list(LIST_LIMIT).await?,
    );
    context.insert(
        "notice",
        &match query.done.as_deref() {
            Some("dismissed") => Some("The message's sender and subject were forgotten."),
            _ => None,
        },
    );
    render(&state, "admin/intake.html", &context, 200)
}

#[derive(Debug, Deserialize)]
pub(crate) struct DismissForm {
    #[serde(default)]
    csrf: String,
}

/// POST /admin/intake/{id}/dismiss: forgets the sender and subject of a message set aside
/// (once someone has dealt with it).
pub(crate) async fn dismiss(
    state: web::Data<AppState>,
    Signed { staff, .. }: Signed<DismissForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&path.into_inner())?;
    if !state.store.inbound.dismiss(id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(message = %id, staff = %staff.0.id, "set-aside email dismissed");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/intake?done=dismissed"))
        .finish())
}

csrf_protected!(DismissForm);
