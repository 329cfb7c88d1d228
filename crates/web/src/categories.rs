//! Categories (`/categories`): the managed list, each category with its name in the four
//! languages and the FCA product group it reports under, and the mapping of the free-text
//! categories complaints recorded before the list onto it (see `redress_store::categories`).
//! Everyone sees the list; admins keep it and map.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::Language;
use redress_store::{AuditAction, CategoryDraft, CategoryError, RecordedValue, Role};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::csrf_protected;
use crate::error::AppError;
use crate::signed::Signed;

/// One category as the page shows it.
#[derive(Debug, Serialize)]
struct Row {
    code: String,
    names: Vec<String>,
    fca_group: String,
    retired: bool,
}

/// The categories page.
#[derive(Debug, Serialize)]
struct CategoriesView {
    categories: Vec<Row>,
    /// (code, name in the reader's language), for the mapping's choices.
    choices: Vec<(String, String)>,
    recorded: Vec<RecordedValue>,
    languages: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    /// The refusal, and which form it answers (a code, `new`, or `map`).
    error: Option<(String, String)>,
    can_edit: bool,
}

async fn render(
    state: &AppState,
    signed: &Signed<impl Sized>,
    notice: Option<String>,
    error: Option<(String, String)>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let map = state.store.categories.map().await?;
    let language = signed.staff.language();
    let view = CategoriesView {
        categories: map
            .all()
            .iter()
            .map(|c| Row {
                code: c.code.clone(),
                names: c.names.clone(),
                fca_group: c.fca_group.clone().unwrap_or_default(),
                retired: c.retired,
            })
            .collect(),
        choices: map
            .all()
            .iter()
            .map(|c| (c.code.clone(), c.name(language).to_string()))
            .collect(),
        recorded: state.store.categories.recorded_values().await?,
        languages: Language::options(),
        notice,
        error,
        can_edit: signed.staff.0.role >= Role::Admin,
    };
    crate::page::Page::new(&signed.staff, &signed.session, view)?.render(
        state,
        "categories/list.html",
        status,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct CategoriesQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /categories
pub(crate) async fn list(
    state: web::Data<AppState>,
    me: Signed,
    query: web::Query<CategoriesQuery>,
) -> Result<HttpResponse, AppError> {
    let language = me.staff.language();
    let notice = match query.done.as_deref() {
        Some("saved") => Some(crate::locale::text(language, "categories-saved")),
        Some("mapped") => Some(crate::locale::text(language, "categories-mapped")),
        _ => None,
    };
    render(&state, &me, notice, None, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_es: String,
    #[serde(default)]
    name_ro: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    fca_group: String,
    #[serde(default)]
    retired: Option<String>,
}

impl CategoryForm {
    fn draft(&self) -> CategoryDraft {
        CategoryDraft {
            names: vec![
                self.name_en.clone(),
                self.name_es.clone(),
                self.name_ro.clone(),
                self.name_zh.clone(),
            ],
            fca_group: Some(self.fca_group.clone()),
            retired: self.retired.is_some(),
        }
    }
}

fn saved(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/categories?done={done}")))
        .finish()
}

/// A refusal the page shows beside the form it answers; anything else is an error.
async fn refused(
    state: &AppState,
    signed: &Signed<impl Sized>,
    error: CategoryError,
    form: &str,
) -> Result<HttpResponse, AppError> {
    match error {
        CategoryError::Store(error) => Err(error.into()),
        CategoryError::Unknown(_) if form != "new" && form != "map" => Err(AppError::NotFound),
        refusal => {
            render(
                state,
                signed,
                None,
                Some((refusal.to_string(), form.to_string())),
                422,
            )
            .await
        }
    }
}

/// POST /categories: a new category (admins).
pub(crate) async fn create(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    signed: Signed<CategoryForm>,
) -> Result<HttpResponse, AppError> {
    let form = &signed.form;
    let now = state.store.clock.now();
    if let Err(error) = state
        .store
        .categories
        .create(&form.code, &form.draft(), now)
        .await
    {
        return refused(&state, &signed, error, "new").await;
    }
    let code = form.code.trim().to_lowercase();
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::CategoryChanged,
        &code,
        &format!("created: {}", form.name_en.trim()),
    )
    .await?;
    Ok(saved("saved"))
}

/// POST /categories/{code}: a category's names, FCA group, or retirement (admins).
pub(crate) async fn update(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    path: web::Path<String>,
    signed: Signed<CategoryForm>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let form = &signed.form;
    if let Err(error) = state.store.categories.update(&code, &form.draft()).await {
        return refused(&state, &signed, error, &code).await;
    }
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::CategoryChanged,
        &code,
        &format!(
            "names: {} / {} / {} / {}; FCA group: {}; {}",
            form.name_en.trim(),
            form.name_es.trim(),
            form.name_ro.trim(),
            form.name_zh.trim(),
            form.fca_group.trim(),
            if form.retired.is_some() {
                "retired"
            } else {
                "offered"
            }
        ),
    )
    .await?;
    Ok(saved("saved"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct MapForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    value: String,
    /// The category's code; empty takes the mapping away.
    #[serde(default)]
    code: String,
}

/// POST /categories/map: a recorded value counts under a category from now on, in every
/// report, filter and the FCA return (admins).
pub(crate) async fn map(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    signed: Signed<MapForm>,
) -> Result<HttpResponse, AppError> {
    let form = &signed.form;
    let now = state.store.clock.now();
    let detail = if form.code.is_empty() {
        if !state.store.categories.unmap(&form.value).await? {
            return refused(
                &state,
                &signed,
                CategoryError::Unknown(form.value.clone()),
                "map",
            )
            .await;
        }
        "not mapped".to_string()
    } else {
        if let Err(error) = state
            .store
            .categories
            .map_value(&form.value, &form.code, signed.staff.0.id, now)
            .await
        {
            return refused(&state, &signed, error, "map").await;
        }
        format!("mapped to {}", form.code)
    };
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::CategoryMapped,
        &form.value,
        &detail,
    )
    .await?;
    Ok(saved("mapped"))
}

csrf_protected!(CategoryForm, MapForm);
