//! Tags (`/tags`): every tag in use with how many complaints carry it, each a link to the
//! queue narrowed to it; admins rename a tag, or merge it into another, on every complaint
//! that carries it — as events on each complaint (the old tag off, the new one on), so the
//! history, time travel and a rebuild all agree.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::{Actor, ComplaintAction, ComplaintCommand, ComplaintError, Reference};
use redress_store::CommandError;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::csrf_protected;
use crate::error::AppError;
use crate::locale::text_with;
use crate::signed::Signed;

/// The tags page.
#[derive(Debug, Serialize)]
struct TagsView {
    tags: Vec<(String, i64)>,
    notice: Option<String>,
    error: Option<String>,
    from: String,
    to: String,
}

async fn render(
    state: &AppState,
    signed: &Signed<impl Sized>,
    notice: Option<String>,
    error: Option<String>,
    (from, to): (String, String),
    status: u16,
) -> Result<HttpResponse, AppError> {
    let view = TagsView {
        tags: state.store.complaint_list.tags().await?,
        notice,
        error,
        from,
        to,
    };
    crate::page::Page::new(&signed.staff, &signed.session, view)?.render(
        state,
        "tags/list.html",
        status,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct TagsQuery {
    #[serde(default)]
    renamed: Option<usize>,
    #[serde(default)]
    to: Option<String>,
}

/// GET /tags
pub(crate) async fn list(
    state: web::Data<AppState>,
    me: Signed,
    query: web::Query<TagsQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match (&query.renamed, &query.to) {
        (Some(n), Some(to)) => Some(crate::words::counted(
            me.staff.language(),
            "note-tag-renamed",
            u64::try_from(*n).unwrap_or(u64::MAX),
            &[("tag", to.clone())],
        )),
        _ => None,
    };
    render(&state, &me, notice, None, Default::default(), 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct RenameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// POST /tags/rename: every complaint tagged `from` is tagged `to` instead (a merge, when
/// some already carry `to`).
pub(crate) async fn rename(
    state: web::Data<AppState>,
    signed: Signed<RenameForm>,
) -> Result<HttpResponse, AppError> {
    let typed = (signed.form.from.clone(), signed.form.to.clone());
    let refuse = |error: String| render(&state, &signed, None, Some(error), typed.clone(), 422);
    let (from, to) = match (
        redress_domain::tags::normalize(&signed.form.from),
        redress_domain::tags::normalize(&signed.form.to),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(error), _) | (_, Err(error)) => {
            return refuse(crate::refusals::refusal(signed.staff.language(), &error)).await;
        }
    };
    if from == to {
        return refuse(text_with(
            signed.staff.language(),
            "note-tag-same",
            &[("tag", from)],
        ))
        .await;
    }
    let tagged = state.store.complaint_list.tagged(&from).await?;
    if tagged.is_empty() {
        return refuse(text_with(
            signed.staff.language(),
            "note-tag-none",
            &[("tag", from)],
        ))
        .await;
    }
    let by = Actor::Staff(signed.staff.0.member());
    let mut renamed = 0;
    for reference in &tagged {
        let Ok(reference) = Reference::parse(reference) else {
            continue;
        };
        let run = |action: ComplaintAction| {
            let command = ComplaintCommand::new(by.clone(), action);
            let complaints = state.store.complaints.clone();
            let reference = reference.clone();
            async move { complaints.execute(&reference, command).await }
        };
        // On first, so the complaint is never without either; already there is a merge.
        match run(ComplaintAction::AddTag { tag: to.clone() }).await {
            Ok(()) | Err(CommandError::Rejected(ComplaintError::AlreadyTagged { .. })) => {}
            Err(CommandError::Rejected(refused)) => {
                let words = crate::refusals::refusal(signed.staff.language(), &refused);
                return refuse(format!("{reference}: {words}")).await;
            }
            Err(other) => return Err(other.into()),
        }
        match run(ComplaintAction::RemoveTag { tag: from.clone() }).await {
            Ok(()) | Err(CommandError::Rejected(ComplaintError::NotTagged { .. })) => {}
            Err(CommandError::Rejected(refused)) => {
                let words = crate::refusals::refusal(signed.staff.language(), &refused);
                return refuse(format!("{reference}: {words}")).await;
            }
            Err(other) => return Err(other.into()),
        }
        renamed += 1;
    }
    let query = serde_urlencoded::to_string([("renamed", renamed.to_string()), ("to", to)])
        .unwrap_or_default();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/tags?{query}")))
        .finish())
}

csrf_protected!(RenameForm);
