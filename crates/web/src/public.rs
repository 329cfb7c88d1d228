//! The public complaint form: anyone may complain, without an account. Spam is kept out with
//! no third-party service: a honeypot field people never see, and a limit per client address.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use redress_domain::{
    Actor, Channel, ComplaintError, CustomerEmail, Language, Priority, Reference,
};
use redress_store::CommandError;
use serde::{Deserialize, Serialize};

use crate::auth::{check_csrf, csrf_token};
use crate::complaints::{Intake, field_of};
use crate::error::AppError;
use crate::{AppState, render};

/// Complaints one client address may file through the form per [`WINDOW_MINUTES`].
pub const MAX_PER_WINDOW: i64 = 5;
/// The window of [`MAX_PER_WINDOW`].
pub const WINDOW_MINUTES: i64 = 60;

/// What a complaint can be about, as the public form offers it.
const CATEGORIES: &[&str] = &[
    "Billing",
    "Delivery",
    "Product quality",
    "Service",
    "Staff",
    "Other",
];

/// The form's fields, kept when it is shown again.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct PublicForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    remedy: String,
    #[serde(default)]
    language: String,
    /// The honeypot: hidden from people, filled in by bots.
    #[serde(default, skip_serializing)]
    website: String,
}

fn render_form(
    state: &AppState,
    session: &Session,
    form: &PublicForm,
    errors: &BTreeMap<&'static str, String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = tera::Context::new();
    context.insert("csrf", &csrf_token(session)?);
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert("categories", CATEGORIES);
    context.insert("languages", &Language::options());
    render(state, "public/complain.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct FormQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// GET /complain
pub(crate) async fn form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<FormQuery>,
) -> Result<HttpResponse, AppError> {
    let language = query
        .lang
        .as_deref()
        .and_then(|l| Language::parse(l).ok())
        .unwrap_or(Language::En);
    let form = PublicForm {
        language: language.code().into(),
        ..PublicForm::default()
    };
    render_form(&state, &session, &form, &BTreeMap::new(), 200)
}

/// The client's address (see `crate::security::client_address`).
fn client_of(request: &HttpRequest) -> String {
    crate::security::client_address(request)
}

/// POST /complain
pub(crate) async fn submit(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: web::Form<PublicForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&session, &form.csrf)?;
    let form = form.into_inner();
    if !form.website.is_empty() {
        // A bot: it sees the usual answer, and nothing is written.
        tracing::info!(client = %client_of(&request), "public form: honeypot filled; ignored");
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/complain/thanks"))
            .finish());
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
            format!(
                "We have received {MAX_PER_WINDOW} complaints from your connection within the hour, so we cannot take another now. Please try again later, or call us."
            ),
        );
        return render_form(&state, &session, &form, &errors, 429);
    }
    let email = CustomerEmail::parse(&form.email)
        .map_err(|e| errors.insert("email", e.to_string()))
        .ok();
    let language = Language::parse(&form.language)
        .map_err(|e| errors.insert("language", e.to_string()))
        .ok();
    if !CATEGORIES.contains(&form.category.as_str()) {
        errors.insert("category", "Choose what your complaint is about.".into());
    }
    let (Some(email), Some(language), true) = (email, language, errors.is_empty()) else {
        return render_form(&state, &session, &form, &errors, 422);
    };
    let new = Intake {
        name: &form.name,
        phone: &form.phone,
        company: &form.company,
        category: &form.category,
        summary: &form.summary,
        description: &form.description,
        remedy: &form.remedy,
    }
    .complaint(email, language, Channel::WebForm, Priority::Normal);
    match state.store.complaints.receive(Actor::Customer, new).await {
        Ok(reference) => {
            state.store.public_intake.record(&client).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/complain/thanks?reference={reference}"),
                ))
                .finish())
        }
        Err(CommandError::Rejected(rejection)) => {
            errors.insert(field_of(&rejection), public_words(&rejection));
            render_form(&state, &session, &form, &errors, 422)
        }
        Err(other) => Err(other.into()),
    }
}

/// A refusal in the words of the person filling in the form.
fn public_words(rejection: &ComplaintError) -> String {
    rejection
        .to_string()
        .replace("The customer's name", "Your name")
        .replace(
            "What the customer would like",
            "What you would like us to do",
        )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ThanksQuery {
    #[serde(default)]
    reference: Option<String>,
}

/// GET /complain/thanks
pub(crate) async fn thanks(
    state: web::Data<AppState>,
    query: web::Query<ThanksQuery>,
) -> Result<HttpResponse, AppError> {
    let reference = query
        .reference
        .as_deref()
        .and_then(|r| Reference::parse(r).ok());
    let mut context = tera::Context::new();
    context.insert("reference", &reference.map(|r| r.to_string()));
    render(&state, "public/thanks.html", &context, 200)
}
