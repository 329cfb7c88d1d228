//! An email to the customer as it was sent, opened from the timeline: its headers, its text
//! part, its HTML part (on a page of its own, sandboxed: it carries its own styles) and every
//! attempt to deliver it. The copy is kept sealed with the customer's key, so erasure takes
//! it away.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::{Language, Reference};
use redress_store::{EmailKind, OpenError, SentCopy};

use crate::AppState;
use crate::error::AppError;
use crate::signed::Signed;
use crate::{page_context, render};

/// What staff call an email of `code`'s kind, in `language` ("Email" when the code is none we
/// know).
pub(crate) fn label(language: Language, code: &str) -> String {
    let key = match EmailKind::from_code(code) {
        None => "tl-email-other",
        Some(EmailKind::Receipt) => "tl-email-receipt",
        Some(EmailKind::Acknowledgement) => "tl-email-acknowledgement",
        Some(EmailKind::Owner) => "tl-email-owner",
        Some(EmailKind::Merged) => "tl-email-merged",
        Some(EmailKind::Commitment) => "tl-email-commitment",
        Some(EmailKind::Progress) => "tl-email-progress",
        Some(EmailKind::Request) => "tl-email-request",
        Some(EmailKind::Outcome) => "tl-email-outcome",
        Some(EmailKind::Survey) => "tl-email-survey",
        Some(EmailKind::StatusLink) => "tl-email-status_link",
        Some(EmailKind::SlaAtRisk) => "tl-email-sla_at_risk",
        Some(EmailKind::SlaBreach) => "tl-email-sla_breach",
        Some(EmailKind::Reply) => "tl-email-reply",
        Some(EmailKind::Points) => "tl-email-points",
        Some(EmailKind::Notification) => "tl-email-notification",
        Some(EmailKind::Digest) => "tl-email-digest",
        Some(EmailKind::PasswordReset) => "tl-email-password_reset",
        Some(EmailKind::WebhookSwitchedOff) => "tl-email-webhook_switched_off",
        Some(EmailKind::MeetingDue) => "tl-email-meeting_due",
        Some(EmailKind::SurveyInvitation) => "tl-email-survey_invitation",
    };
    crate::locale::text(language, key)
}

/// The outbox row of `id` on `reference`, when it is an email to that complaint's customer.
async fn email_of(
    state: &AppState,
    reference: &str,
    id: &str,
) -> Result<redress_store::OutboxRow, AppError> {
    let reference = Reference::parse(reference).map_err(|_| AppError::NotFound)?;
    let row = state
        .store
        .outbox
        .get(id)
        .await?
        .filter(|row| row.reference == reference.as_str())
        .filter(|row| EmailKind::from_code(&row.kind).is_some_and(|k| !k.is_for_staff()))
        .ok_or(AppError::NotFound)?;
    Ok(row)
}

/// The copy as sent, opened; `Ok(None)` when none was kept (not sent yet, or sent before
/// copies were kept), `Err(Erased)` once the customer is forgotten.
async fn copy_of(
    state: &AppState,
    id: &str,
) -> Result<Option<Result<SentCopy, OpenError>>, AppError> {
    let Some((customer, sealed)) = state.store.outbox.copy(id).await? else {
        return Ok(None);
    };
    let Some(key) = state.store.vault.key(customer).await? else {
        return Ok(Some(Err(OpenError::Erased)));
    };
    let opened = key
        .open_bytes(customer, &sealed)
        .map_err(|_| AppError::Internal(format!("the copy of email {id} does not open").into()))?;
    let copy: SentCopy = serde_json::from_slice(&opened)
        .map_err(|e| AppError::Internal(format!("the copy of email {id}: {e}").into()))?;
    Ok(Some(Ok(copy)))
}

/// GET /complaints/{reference}/emails/{id}
pub(crate) async fn show(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (reference, id) = path.into_inner();
    let row = email_of(&state, &reference, &id).await?;
    let copy = copy_of(&state, &id).await?;
    let mut context = page_context(&staff, &session)?;
    context.insert("reference", &row.reference);
    context.insert("kind", &label(staff.language(), &row.kind));
    context.insert("erased", &matches!(copy, Some(Err(_))));
    context.insert("copy", &copy.and_then(Result::ok));
    context.insert("attempts", &state.store.outbox.attempts(&id).await?);
    context.insert("email", &row);
    render(&state, "complaints/sent.html", &context, 200)
}

/// GET /complaints/{reference}/emails/{id}/html: the HTML part as sent, on a page of its own
/// whose policy lets its inline styles apply and nothing else run.
pub(crate) async fn html(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (reference, id) = path.into_inner();
    email_of(&state, &reference, &id).await?;
    let Some(Ok(copy)) = copy_of(&state, &id).await? else {
        return Err(AppError::NotFound);
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(copy.html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_email_has_a_name_in_every_language() {
        assert_eq!(
            label(Language::En, "acknowledgement"),
            "Apology and acknowledgement"
        );
        assert_eq!(
            label(Language::En, "status_link"),
            "A fresh link to their status page"
        );
        assert_eq!(label(Language::En, "nonsense"), "Email");
        for language in Language::ALL {
            for kind in EmailKind::ALL {
                let words = label(*language, kind.code());
                assert!(!words.contains("Unknown localization"), "{words}");
            }
        }
    }
}
