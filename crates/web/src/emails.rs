//! What arrived by email, for staff: `/emails/{id}`, an email as it arrived (with the
//! quotation and signature the timeline leaves out), and `/files/{id}`, the files kept from
//! emails (downloads). The admins' page of the intake is [`crate::admin::intake`].

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::ComplaintChange;
use redress_store::OpenError;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::CurrentStaff;
use crate::complaints::{load, opener_for};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// Media types a browser may be given as they are; anything else is sent as bytes to save,
/// so a file a customer sent never runs as a page of ours.
const SHOWN_AS_IS: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
];

pub(crate) fn id_of(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound)
}

/// The page for a file or email whose customer was forgotten.
fn erased(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(staff, session)?;
    context.insert("title", "Erased");
    context.insert(
        "message",
        "The customer's personal data was erased, and this went with it.",
    );
    render(state, "error.html", &context, 410)
}

/// `Content-Disposition` for a download named `name` (RFC 6266: an ASCII fallback and the
/// UTF-8 name).
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A file as a download: shown as it is only when its type is one a browser may be given
/// (else bytes to save), never sniffed, never run as a page of ours.
pub(crate) fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> HttpResponse {
    let content_type = if SHOWN_AS_IS.contains(&content_type) {
        content_type
    } else {
        "application/octet-stream"
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition(name)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// GET /files/{id}: a file on a complaint (kept from an email, sent with a reply, added by
/// the customer), to save.
pub(crate) async fn file(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&path.into_inner())?;
    let opened = match state.store.attachments.open(id).await? {
        None => return Err(AppError::NotFound),
        Some(Err(OpenError::Erased)) => return erased(&state, &staff, &session),
        Some(Err(OpenError::Damaged)) => {
            return Err(AppError::Internal(
                format!("file {id} does not open").into(),
            ));
        }
        Some(Ok(opened)) => opened,
    };
    // Its name and type are in the complaint's record of the email.
    let (_, events, complaint) = load(&state, &opened.reference).await?;
    let customer = complaint.customer().ok_or(AppError::NotFound)?;
    let opener = opener_for(&state, customer).await?;
    let meta = events.iter().find_map(|event| match &event.change {
        ComplaintChange::EmailReceived { attachments, .. }
        | ComplaintChange::ReplySent { attachments, .. }
        | ComplaintChange::FilesAttached { files: attachments } => {
            attachments.iter().find(|f| f.id == id)
        }
        _ => None,
    });
    let Some(meta) = meta else {
        return Err(AppError::NotFound);
    };
    tracing::info!(file = %id, reference = opened.reference, staff = %staff.0.id, "file downloaded");
    Ok(download(
        &opener.open(&meta.name),
        &meta.content_type,
        opened.bytes,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct OriginalQuery {
    #[serde(default)]
    raw: Option<String>,
}

/// GET /emails/{id}: an email as it arrived (`?raw=1`: the message file itself).
pub(crate) async fn original(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<String>,
    query: web::Query<OriginalQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&path.into_inner())?;
    let opened = match state.store.inbound.original(id).await? {
        None => return Err(AppError::NotFound),
        Some(Err(OpenError::Erased)) => return erased(&state, &staff, &session),
        Some(Err(OpenError::Damaged)) => {
            return Err(AppError::Internal(
                format!("email {id} does not open").into(),
            ));
        }
        Some(Ok(opened)) => opened,
    };
    if query.raw.is_some() {
        return Ok(HttpResponse::Ok()
            .content_type("message/rfc822")
            .insert_header((
                header::CONTENT_DISPOSITION,
                disposition(&format!("{}-{id}.eml", opened.reference)),
            ))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(opened.bytes));
    }
    let shown = redress_intake::message::original(&opened.bytes)
        .ok_or_else(|| AppError::Internal(format!("email {id} no longer parses").into()))?;
    let mut context = page_context(&staff, &session)?;
    context.insert("reference", &opened.reference);
    context.insert("id", &id.to_string());
    context.insert("email", &shown);
    render(&state, "complaints/email.html", &context, 200)
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn download_names_keep_unicode_and_never_break_the_header() {
        assert_eq!(
            disposition("factură \"mai\".pdf"),
            "attachment; filename=\"factur_ _mai_.pdf\"; \
             filename*=UTF-8''factur%C4%83%20%22mai%22.pdf"
        );
        assert!(!disposition("a\r\nSet-Cookie: x").contains('\n'));
    }
}
