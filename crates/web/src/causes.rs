//! Root causes (`/causes`): the list admins keep, each named in the four languages and grouped
//! under a managed category (see `redress_store::root_causes`). Everyone sees the list; admins
//! add causes, rename them and retire them. A resolved complaint names its causes from the
//! list ([`known`] checks them, for the complaint page's form and the API alike).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::Language;
use redress_store::root_causes::{CauseDraft, CauseError, RootCause};
use redress_store::{AuditAction, Role};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::csrf_protected;
use crate::error::AppError;
use crate::signed::Signed;

/// The causes named, checked against the list: each must be on it and not retired. The
/// refusal (`Some`) names the first that is not.
pub(crate) async fn known(
    state: &AppState,
    causes: &[String],
) -> Result<Option<String>, redress_store::StoreError> {
    let list = state.store.root_causes.list().await?;
    for cause in causes {
        let code = cause.trim().to_lowercase();
        if code.is_empty() {
            continue;
        }
        if !list.iter().any(|c| c.code == code && !c.retired) {
            return Ok(Some(format!(
                "There is no root cause {:?} on the list (see /causes).",
                code.chars().take(50).collect::<String>()
            )));
        }
    }
    Ok(None)
}

/// The causes a complaint of `category` may name, in `language`: those grouped under it first,
/// then the others (code, name, grouped under it).
pub(crate) async fn offered(
    state: &AppState,
    category: &str,
    language: Language,
) -> Result<Vec<(String, String, bool)>, redress_store::StoreError> {
    let mut offered: Vec<(String, String, bool)> = state
        .store
        .root_causes
        .list()
        .await?
        .into_iter()
        .filter(|c| !c.retired)
        .map(|c| {
            let here = c.category.as_deref() == Some(category);
            (c.code.clone(), c.name(language).to_string(), here)
        })
        .collect();
    offered.sort_by_key(|(_, _, here)| !*here);
    Ok(offered)
}

/// One cause as the page shows it.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    cause: RootCause,
    category_name: String,
}

#[derive(Debug, Serialize)]
struct CausesView {
    causes: Vec<Row>,
    /// (code, name in the reader's language) of every category, to group a cause under.
    categories: Vec<(String, String)>,
    languages: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    /// The refusal, and which form it answers (a code, or `new`).
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
    let language = signed.staff.language();
    let map = state.store.categories.map().await?;
    let categories: Vec<(String, String)> = map
        .all()
        .iter()
        .map(|c| (c.code.clone(), c.name(language).to_string()))
        .collect();
    let causes = state
        .store
        .root_causes
        .list()
        .await?
        .into_iter()
        .map(|cause| Row {
            category_name: cause
                .category
                .as_ref()
                .and_then(|code| categories.iter().find(|(c, _)| c == code))
                .map(|(_, name)| name.clone())
                .unwrap_or_default(),
            cause,
        })
        .collect();
    let view = CausesView {
        causes,
        categories,
        languages: Language::options(),
        notice,
        error,
        can_edit: signed.staff.0.role >= Role::Admin,
    };
    crate::page::Page::new(&signed.staff, &signed.session, view)?.render(
        state,
        "causes/list.html",
        status,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct CausesQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /causes
pub(crate) async fn list(
    state: web::Data<AppState>,
    me: Signed,
    query: web::Query<CausesQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = (query.done.as_deref() == Some("saved"))
        .then(|| crate::locale::text(me.staff.language(), "causes-saved"));
    render(&state, &me, notice, None, 200).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct CauseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_es: String,
    #[serde(default)]
    name_ro: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    retired: Option<String>,
}

impl CauseForm {
    fn draft(&self) -> CauseDraft {
        CauseDraft {
            category: Some(self.category.clone()),
            names: vec![
                self.name_en.clone(),
                self.name_es.clone(),
                self.name_ro.clone(),
                self.name_zh.clone(),
            ],
            retired: self.retired.is_some(),
        }
    }
}

async fn category_codes(state: &AppState) -> Result<Vec<String>, AppError> {
    Ok(state
        .store
        .categories
        .map()
        .await?
        .all()
        .iter()
        .map(|c| c.code.clone())
        .collect())
}

/// A refusal the page shows beside the form it answers; anything else is an error.
async fn refused(
    state: &AppState,
    signed: &Signed<impl Sized>,
    error: CauseError,
    form: &str,
) -> Result<HttpResponse, AppError> {
    match error {
        CauseError::Store(error) => Err(error.into()),
        CauseError::Unknown(_) if form != "new" => Err(AppError::NotFound),
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

fn saved() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/causes?done=saved"))
        .finish()
}

/// POST /causes: a new root cause (admins).
pub(crate) async fn create(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    signed: Signed<CauseForm>,
) -> Result<HttpResponse, AppError> {
    let form = &signed.form;
    let categories = category_codes(&state).await?;
    let code = match state
        .store
        .root_causes
        .create(
            &form.code,
            &form.draft(),
            &categories,
            state.store.clock.now(),
        )
        .await
    {
        Ok(code) => code,
        Err(error) => return refused(&state, &signed, error, "new").await,
    };
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::RootCauseChanged,
        &code,
        &format!("created: {}", form.name_en.trim()),
    )
    .await?;
    Ok(saved())
}

/// POST /causes/{code}: a cause's names, category, or retirement (admins).
pub(crate) async fn update(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    path: web::Path<String>,
    signed: Signed<CauseForm>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let form = &signed.form;
    let categories = category_codes(&state).await?;
    if let Err(error) = state
        .store
        .root_causes
        .update(&code, &form.draft(), &categories)
        .await
    {
        return refused(&state, &signed, error, &code).await;
    }
    crate::security::audit(
        &state,
        &request,
        &signed.staff,
        AuditAction::RootCauseChanged,
        &code,
        &format!(
            "{}: {}",
            if form.retired.is_some() {
                "retired"
            } else {
                "saved"
            },
            form.name_en.trim()
        ),
    )
    .await?;
    Ok(saved())
}

csrf_protected!(CauseForm);
