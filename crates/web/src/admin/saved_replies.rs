//! The admins' library of saved replies (`/admin/saved-replies`): each reply in the four
//! languages, its placeholders checked when saved, offered to agents or set aside.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::Language;
use redress_domain::placeholders::PLACEHOLDERS;
use redress_store::SavedReplyDraft;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// The form as shown (again).
#[derive(Debug, Default, Serialize)]
struct FormView {
    id: String,
    title: String,
    bodies: Vec<String>,
}

async fn render_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    form: FormView,
    notice: Option<&str>,
    error: Option<String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(staff, session)?;
    context.insert("replies", &state.store.saved_replies.list().await?);
    context.insert(
        "placeholders",
        &PLACEHOLDERS
            .iter()
            .map(|(name, meaning)| (format!("{{{{{name}}}}}"), *meaning))
            .collect::<Vec<_>>(),
    );
    context.insert("languages", &Language::options());
    let mut form = form;
    form.bodies.resize(Language::ALL.len(), String::new());
    context.insert("form", &form);
    context.insert("notice", &notice);
    context.insert("error", &error);
    render(state, "admin/saved_replies.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    edit: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// GET /admin/saved-replies
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let mut form = FormView::default();
    if let Some(edit) = query.edit.as_deref() {
        let id = Uuid::parse_str(edit.trim()).map_err(|_| AppError::NotFound)?;
        let reply = state
            .store
            .saved_replies
            .get(id)
            .await?
            .ok_or(AppError::NotFound)?;
        form = FormView {
            id: reply.id.to_string(),
            title: reply.title.clone(),
            bodies: Language::ALL
                .iter()
                .map(|l| reply.body(*l).to_string())
                .collect(),
        };
    }
    let notice = match query.done.as_deref() {
        Some("saved") => Some("The saved reply is saved."),
        Some("archived") => Some("Agents are no longer offered it."),
        Some("offered") => Some("Agents are offered it again."),
        _ => None,
    };
    render_page(&state, &staff, &session, form, notice, None, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct SaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    body_es: String,
    #[serde(default)]
    body_ro: String,
    #[serde(default)]
    body_zh: String,
}

/// POST /admin/saved-replies: a new saved reply, or a change to one.
pub(crate) async fn save(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<SaveForm>,
) -> Result<HttpResponse, AppError> {
    let id = if form.id.trim().is_empty() {
        Uuid::new_v4()
    } else {
        let id = Uuid::parse_str(form.id.trim()).map_err(|_| AppError::NotFound)?;
        if state.store.saved_replies.get(id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        id
    };
    let draft = SavedReplyDraft {
        title: form.title.clone(),
        bodies: [
            form.body_en.clone(),
            form.body_es.clone(),
            form.body_ro.clone(),
            form.body_zh.clone(),
        ],
    };
    match state
        .store
        .saved_replies
        .save(id, &draft, &staff.0.name, state.store.clock.now())
        .await?
    {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin/saved-replies?done=saved"))
            .finish()),
        Err(refused) => {
            let view = FormView {
                id: if form.id.trim().is_empty() {
                    String::new()
                } else {
                    id.to_string()
                },
                title: form.title,
                bodies: draft.bodies.to_vec(),
            };
            render_page(
                &state,
                &staff,
                &session,
                view,
                None,
                Some(refused.to_string()),
                422,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ArchiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    archived: String,
}

/// POST /admin/saved-replies/{id}/archive: stop (or start again) offering a saved reply.
pub(crate) async fn archive(
    state: web::Data<AppState>,
    Signed {
        staff: _staff,
        form,
        ..
    }: Signed<ArchiveForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = Uuid::parse_str(path.into_inner().trim()).map_err(|_| AppError::NotFound)?;
    let archived = match form.archived.as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(AppError::BadForm(format!(
                "{:?} is neither true nor false.",
                other.chars().take(20).collect::<String>()
            )));
        }
    };
    if !state.store.saved_replies.set_archived(id, archived).await? {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            if archived {
                "/admin/saved-replies?done=archived"
            } else {
                "/admin/saved-replies?done=offered"
            },
        ))
        .finish())
}

csrf_protected!(ArchiveForm, SaveForm);
