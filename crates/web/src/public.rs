//! The public complaint form: anyone may complain, without an account, in their language
//! (`?lang=`, else the browser's), with files. Spam is kept out with no third-party service:
//! a honeypot field people never see, and a limit per client address. Every mistake is said
//! at once, beside its field, in the customer's words.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use redress_domain::{Actor, Channel, CustomerEmail, Language, Priority, Reference};
use redress_store::CommandError;
use redress_store::FormTokens;
use serde::{Deserialize, Serialize};

use crate::auth::{check_csrf, csrf_token};
use crate::complaints::{Intake, field_of};
use crate::error::AppError;
use crate::locale::{self, text, text_with};
use crate::status::customer_context;
use crate::uploads::{self, Upload};
use crate::{AppState, render};

/// Complaints one client address may file through the form per [`WINDOW_MINUTES`].
pub const MAX_PER_WINDOW: i64 = 5;
/// The window of [`MAX_PER_WINDOW`].
pub const WINDOW_MINUTES: i64 = 60;

/// The form's fields, kept when it is shown again.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct PublicForm {
    name: String,
    email: String,
    phone: String,
    company: String,
    category: String,
    summary: String,
    description: String,
    remedy: String,
    language: String,
    /// The page's one-time token: a replayed form is recognised and files nothing.
    form_token: String,
}

impl PublicForm {
    fn from_upload(upload: &Upload) -> Self {
        Self {
            name: upload.text("name"),
            email: upload.text("email"),
            phone: upload.text("phone"),
            company: upload.text("company"),
            category: upload.text("category"),
            summary: upload.text("summary"),
            description: upload.text("description"),
            remedy: upload.text("remedy"),
            language: upload.text("language"),
            form_token: upload.text("form_token"),
        }
    }
}

async fn render_form(
    state: &AppState,
    session: &Session,
    page: Language,
    form: &PublicForm,
    errors: &BTreeMap<&'static str, String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = customer_context(page);
    context.insert("csrf", &csrf_token(session)?);
    context.insert(
        "form_token",
        &if form.form_token.is_empty() {
            FormTokens::issue()
        } else {
            form.form_token.clone()
        },
    );
    context.insert("form", form);
    context.insert("errors", errors);
    // What a complaint can be about: the managed categories offered, in the customer's words.
    let categories = state.store.categories.map().await?;
    context.insert(
        "categories",
        &categories
            .offered()
            .map(|c| (c.code.as_str(), c.name(page)))
            .collect::<Vec<_>>(),
    );
    context.insert("max_files", &state.uploads.max_files);
    context.insert("max_file_mb", &state.uploads.max_file_mb());
    render(state, "public/complain.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct FormQuery {
    #[serde(default)]
    lang: Option<String>,
}

fn accept_language(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// GET /complain
pub(crate) async fn form(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    query: web::Query<FormQuery>,
) -> Result<HttpResponse, AppError> {
    let page = locale::chosen(query.lang.as_deref(), accept_language(&request));
    let form = PublicForm {
        language: page.code().into(),
        ..PublicForm::default()
    };
    render_form(&state, &session, page, &form, &BTreeMap::new(), 200).await
}

/// The client's address (see `crate::security::client_address`).
fn client_of(request: &HttpRequest) -> String {
    crate::security::client_address(request)
}

/// POST /complain (a form with files)
pub(crate) async fn submit(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let upload = uploads::read(payload, state.uploads).await;
    let page_lang = upload.as_ref().ok().map(|u| u.text("page_lang"));
    let page = locale::chosen(page_lang.as_deref(), accept_language(&request));
    let upload = match upload {
        Ok(upload) => upload,
        Err(refused) => {
            let mut errors = BTreeMap::new();
            errors.insert("files", locale::upload_refusal(page, &refused));
            let form = PublicForm {
                language: page.code().into(),
                ..PublicForm::default()
            };
            return render_form(&state, &session, page, &form, &errors, refused.status()).await;
        }
    };
    check_csrf(&session, &upload.text("csrf"))?;
    let form = PublicForm::from_upload(&upload);
    if !upload.text("website").is_empty() {
        // A bot: it sees the usual answer, and nothing is written.
        tracing::info!(client = %client_of(&request), "public form: honeypot filled; ignored");
        return Ok(thanks_redirect(None, page));
    }
    // Sent twice (a double click, a resent request): the second does nothing and says
    // where the first went.
    let token = form.form_token.clone();
    if !token.is_empty() && !state.store.forms.claim(&token).await? {
        let first = state.store.forms.outcome(&token).await?;
        let first = first.as_deref().and_then(|r| Reference::parse(r).ok());
        let language = Language::parse(&form.language).unwrap_or(page);
        return Ok(thanks_again(first.as_ref(), language));
    }
    let client = client_of(&request);
    let recent = state
        .store
        .public_intake
        .recent(&client, Utc::now() - Duration::minutes(WINDOW_MINUTES))
        .await?;
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    if recent >= MAX_PER_WINDOW {
        errors.insert(
            "form",
            text_with(page, "error-rate", &[("count", MAX_PER_WINDOW.to_string())]),
        );
        release(&state, &token).await?;
        return render_form(&state, &session, page, &form, &errors, 429).await;
    }
    // Every mistake at once: the ones the form can see, then (if none) the complaint's own.
    let email = CustomerEmail::parse(&form.email)
        .map_err(|_| errors.insert("email", text(page, "error-email")))
        .ok();
    let language = Language::parse(&form.language)
        .map_err(|_| errors.insert("language", text(page, "error-language")))
        .ok();
    // A category offered (its code, as the form sends it; a name is taken as its code).
    let category = match state.store.categories.map().await?.accept(&form.category) {
        Ok(code) => code,
        Err(_) => {
            errors.insert("category", text(page, "error-category"));
            String::new()
        }
    };
    for (field, value, words) in [
        ("name", &form.name, "field-name-words"),
        ("summary", &form.summary, "field-summary-words"),
        ("description", &form.description, "field-description-words"),
    ] {
        if value.trim().is_empty() {
            errors.insert(
                field,
                text_with(page, "error-empty", &[("field", text(page, words))]),
            );
        }
    }
    let (Some(email), Some(language), true) = (email, language, errors.is_empty()) else {
        release(&state, &token).await?;
        return render_form(&state, &session, page, &form, &errors, 422).await;
    };
    let new = Intake {
        name: &form.name,
        phone: &form.phone,
        company: &form.company,
        category: &category,
        summary: &form.summary,
        description: &form.description,
        remedy: &form.remedy,
    }
    .complaint(Some(email), language, Channel::WebForm, Priority::Normal);
    let files = upload
        .files
        .into_iter()
        .map(|f| (f.name, f.content_type, f.bytes))
        .collect();
    match state
        .store
        .complaints
        .receive_with_files(Actor::Customer, new, files, state.store.clock.now())
        .await
    {
        Ok(reference) => {
            if !token.is_empty() {
                state.store.forms.settle(&token, reference.as_str()).await?;
            }
            state.store.public_intake.record(&client).await?;
            Ok(thanks_redirect(Some(&reference), language))
        }
        Err(CommandError::Rejected(rejection)) => {
            let field = match field_of(&rejection) {
                "form"
                    if matches!(
                        rejection,
                        redress_domain::ComplaintError::TooManyFiles { .. }
                    ) =>
                {
                    "files"
                }
                field => field,
            };
            errors.insert(field, locale::refusal(page, &rejection));
            release(&state, &token).await?;
            render_form(&state, &session, page, &form, &errors, 422).await
        }
        Err(other) => {
            release(&state, &token).await?;
            Err(other.into())
        }
    }
}

/// Gives a claimed token back after its form was refused, so the corrected form can be sent.
async fn release(state: &AppState, token: &str) -> Result<(), AppError> {
    if !token.is_empty() {
        state.store.forms.release(token).await?;
    }
    Ok(())
}

/// The answer to a form sent again: the thanks page of the first, saying so.
fn thanks_again(reference: Option<&Reference>, language: Language) -> HttpResponse {
    let location = match reference {
        Some(reference) => format!(
            "/complain/thanks?reference={reference}&lang={}&again=1",
            language.code()
        ),
        None => format!("/complain/thanks?lang={}&again=1", language.code()),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn thanks_redirect(reference: Option<&Reference>, language: Language) -> HttpResponse {
    let location = match reference {
        Some(reference) => format!(
            "/complain/thanks?reference={reference}&lang={}",
            language.code()
        ),
        None => format!("/complain/thanks?lang={}", language.code()),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

#[derive(Debug, Deserialize)]
pub(crate) struct ThanksQuery {
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    again: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// GET /complain/thanks
pub(crate) async fn thanks(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<ThanksQuery>,
) -> Result<HttpResponse, AppError> {
    let page = locale::chosen(query.lang.as_deref(), accept_language(&request));
    let reference = query
        .reference
        .as_deref()
        .and_then(|r| Reference::parse(r).ok());
    let mut context = customer_context(page);
    // The language switch keeps the reference on the page.
    if let Some(reference) = &reference {
        context.insert("keep", &format!("reference={reference}"));
    }
    context.insert("reference", &reference.map(|r| r.to_string()));
    context.insert("again", &query.again.is_some());
    render(&state, "public/thanks.html", &context, 200)
}
