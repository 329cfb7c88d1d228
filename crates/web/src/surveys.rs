//! The periodic survey's pages, opened by the signed link of its invitation (no account):
//! `/survey/{token}` asks for a score and "If you ran this company, what would you change?",
//! answered once; `/survey/{token}/stop` stops these surveys for good, at once (a page with one
//! button: a link followed by a mail scanner changes nothing).

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use redress_domain::Language;
use redress_store::surveys::{AnswerError, Invitation};
use serde::Deserialize;

use crate::auth::{Checked, csrf_protected, csrf_token};
use crate::error::AppError;
use crate::status::customer_context;
use crate::{AppState, locale, render};

/// The survey's form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    would_change: String,
    #[serde(default)]
    wants_contact: Option<String>,
}

/// The stop form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StopForm {
    #[serde(default)]
    csrf: String,
}

csrf_protected!(AnswerForm, StopForm);

/// The invitation a token opens, and its language; `None` for a link that is not ours.
async fn opened(state: &AppState, token: &str) -> Result<Option<(Invitation, Language)>, AppError> {
    let Some(id) = state.store.surveys.open_token(token) else {
        return Ok(None);
    };
    Ok(state.store.surveys.invitation(id).await?.map(|invitation| {
        let language = Language::parse(&invitation.language).unwrap_or(Language::En);
        (invitation, language)
    }))
}

/// The page of `invitation`: the form, or what became of it (`state`: `answered`, `closed`,
/// `stopped`, `thanks`), with a refusal beside the form if any.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a different thing the caller holds"
)]
fn page(
    state: &AppState,
    session: &Session,
    token: &str,
    language: Language,
    shown: &str,
    error: Option<String>,
    kept: Option<&AnswerForm>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = customer_context(language);
    context.insert("token", token);
    context.insert("csrf", &csrf_token(session)?);
    context.insert("shown", shown);
    context.insert("error", &error);
    context.insert(
        "would_change",
        &kept.map(|f| f.would_change.as_str()).unwrap_or(""),
    );
    context.insert("score", &kept.map(|f| f.score.as_str()).unwrap_or(""));
    render(state, "public/survey.html", &context, status)
}

fn not_ours(state: &AppState, session: &Session) -> Result<HttpResponse, AppError> {
    page(state, session, "", Language::En, "unknown", None, None, 404)
}

/// GET /survey/{token}
pub(crate) async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some((invitation, language)) = opened(&state, &token).await? else {
        return not_ours(&state, &session);
    };
    let shown = if invitation.answered_at.is_some() {
        "answered"
    } else if state
        .store
        .surveys
        .opted_out(invitation.customer_id)
        .await?
    {
        "stopped"
    } else if Utc::now() - invitation.asked_at > redress_store::surveys::ANSWER_WITHIN {
        "closed"
    } else {
        "form"
    };
    page(&state, &session, &token, language, shown, None, None, 200)
}

/// POST /survey/{token}
pub(crate) async fn answer(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: Checked<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let form = form.into_inner();
    let Some((invitation, language)) = opened(&state, &token).await? else {
        return not_ours(&state, &session);
    };
    let Ok(score @ 1..=5) = form.score.trim().parse::<u8>() else {
        let message = locale::text(language, "survey-score");
        return page(
            &state,
            &session,
            &token,
            language,
            "form",
            Some(message),
            Some(&form),
            422,
        );
    };
    if state
        .store
        .surveys
        .opted_out(invitation.customer_id)
        .await?
    {
        return page(
            &state, &session, &token, language, "stopped", None, None, 409,
        );
    }
    match state
        .store
        .surveys
        .answer(
            invitation.id,
            score,
            &form.would_change,
            form.wants_contact.is_some(),
            Utc::now(),
        )
        .await
    {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/survey/{token}/thanks")))
            .finish()),
        Err(AnswerError::Answered) => page(
            &state, &session, &token, language, "answered", None, None, 409,
        ),
        Err(AnswerError::Closed | AnswerError::Gone) => page(
            &state, &session, &token, language, "closed", None, None, 410,
        ),
        Err(AnswerError::Invalid(_)) => {
            let message = locale::text(language, "periodic-survey-too-long");
            page(
                &state,
                &session,
                &token,
                language,
                "form",
                Some(message),
                Some(&form),
                422,
            )
        }
        Err(AnswerError::Store(error)) => Err(error.into()),
    }
}

/// GET /survey/{token}/thanks
pub(crate) async fn thanks(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some((_, language)) = opened(&state, &token).await? else {
        return not_ours(&state, &session);
    };
    page(
        &state, &session, &token, language, "thanks", None, None, 200,
    )
}

/// GET /survey/{token}/stop: one button.
pub(crate) async fn confirm_stop(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some((invitation, language)) = opened(&state, &token).await? else {
        return not_ours(&state, &session);
    };
    let shown = if state
        .store
        .surveys
        .opted_out(invitation.customer_id)
        .await?
    {
        "stopped"
    } else {
        "stop"
    };
    page(&state, &session, &token, language, shown, None, None, 200)
}

/// POST /survey/{token}/stop: honoured at once; a second time changes nothing.
pub(crate) async fn stop(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    _form: Checked<StopForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some((invitation, language)) = opened(&state, &token).await? else {
        return not_ours(&state, &session);
    };
    state
        .store
        .surveys
        .stop(invitation.customer_id, Utc::now())
        .await?;
    page(
        &state, &session, &token, language, "stopped", None, None, 200,
    )
}
