//! The form staff use to take a complaint by phone or in person, and what every way in
//! (staff, the public form, the JSON API) makes of a complaint's words.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::{
    Actor, Channel, ComplaintError, CustomerEmail, Language, NewComplaint, NewCustomer, Priority,
    Reference, Tier,
};
use redress_store::CommandError;
use serde::{Deserialize, Serialize};

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

fn labelled<T: Copy>(
    all: &[T],
    f: impl Fn(T) -> (&'static str, &'static str),
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| f(*v)).collect()
}

/// A complaint's words as a form or the API sends them; blank optional fields are absent.
/// (Staff intake, the public form and the JSON API all receive complaints through this.)
pub(crate) struct Intake<'a> {
    pub(crate) name: &'a str,
    pub(crate) phone: &'a str,
    pub(crate) company: &'a str,
    pub(crate) category: &'a str,
    pub(crate) summary: &'a str,
    pub(crate) description: &'a str,
    pub(crate) remedy: &'a str,
}

impl Intake<'_> {
    /// The complaint to receive (its reference is assigned on receipt).
    pub(crate) fn complaint(
        &self,
        email: Option<CustomerEmail>,
        language: Language,
        channel: Channel,
        priority: Priority,
    ) -> NewComplaint {
        let given = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
        NewComplaint {
            reference: Reference::parse("RDR-0000-0000").expect("a well-formed placeholder"),
            customer: NewCustomer {
                name: self.name.to_string(),
                email,
                phone: given(self.phone),
                language,
            },
            company: given(self.company),
            tier: Tier::Standard,
            channel,
            category: self.category.to_string(),
            summary: self.summary.to_string(),
            description: self.description.to_string(),
            remedy_requested: given(self.remedy),
            priority,
            routing: None,
        }
    }
}

/// The intake form's fields, kept when it is shown again.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct NewComplaintForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    remedy: String,
    #[serde(default)]
    priority: String,
    #[serde(default, skip_serializing)]
    form_token: Option<String>,
}

async fn render_new(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    form: &NewComplaintForm,
    errors: &BTreeMap<&'static str, String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(staff, session)?;
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert(
        "fields",
        &[
            ("name", "Customer's name", "text", true),
            ("email", "Customer's email", "email", false),
            ("phone", "Phone (optional)", "tel", false),
            ("company", "Company (optional)", "text", false),
            ("summary", "Summary (one line)", "text", true),
        ],
    );
    context.insert("languages", &Language::options());
    let categories = state.store.categories.map().await?;
    context.insert(
        "categories",
        &categories
            .offered()
            .map(|c| (c.code.as_str(), c.name(staff.language())))
            .collect::<Vec<_>>(),
    );
    let language = staff.language();
    context.insert(
        "channels",
        &crate::locale::options(
            language,
            "channel",
            &labelled(&[Channel::Phone, Channel::InPerson, Channel::Email], |c| {
                (c.code(), c.label())
            }),
        ),
    );
    context.insert(
        "priorities",
        &crate::locale::options(language, "priority", &Priority::options()),
    );
    render(state, "complaints/new.html", &context, status)
}

pub(crate) async fn new_form(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
) -> Result<HttpResponse, AppError> {
    let form = NewComplaintForm {
        language: "en".into(),
        channel: "phone".into(),
        priority: "normal".into(),
        ..NewComplaintForm::default()
    };
    render_new(&state, &staff, &session, &form, &BTreeMap::new(), 200).await
}

/// Which form field a domain refusal is about.
pub(crate) fn field_of(error: &ComplaintError) -> &'static str {
    let field = match error {
        ComplaintError::UnknownCategory { .. } => "The category",
        ComplaintError::Empty { field }
        | ComplaintError::TooLong { field, .. }
        | ComplaintError::MultiLine { field } => *field,
        _ => "",
    };
    match field {
        "The customer's name" => "name",
        "The phone number" => "phone",
        "The company" => "company",
        "The category" => "category",
        "The summary" => "summary",
        "What happened" => "description",
        "What the customer would like" => "remedy",
        _ => "form",
    }
}

pub(crate) async fn create(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<NewComplaintForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    // A caller may have no email address: recorded all the same, sent nothing, reached by
    // phone (their recorded calls keep them informed).
    let email = if form.email.trim().is_empty() {
        Some(None)
    } else {
        CustomerEmail::parse(&form.email)
            .map(Some)
            .map_err(|e| errors.insert("email", e.to_string()))
            .ok()
    };
    let language = Language::parse(&form.language)
        .map_err(|e| errors.insert("language", e.to_string()))
        .ok();
    let channel = Channel::parse(&form.channel)
        .map_err(|e| errors.insert("channel", e.to_string()))
        .ok();
    let priority = Priority::parse(&form.priority)
        .map_err(|e| errors.insert("priority", e.to_string()))
        .ok();
    if email == Some(None) {
        if channel == Some(Channel::Email) {
            errors.insert(
                "email",
                "A complaint by email needs the address it came from.".into(),
            );
        } else if form.phone.trim().is_empty() {
            errors.insert(
                "email",
                "Give the customer's email address, or a phone number if they have none: \
                 without either nobody can reach them."
                    .into(),
            );
        }
    }
    let (Some(email), Some(language), Some(channel), Some(priority), true) =
        (email, language, channel, priority, errors.is_empty())
    else {
        return render_new(&state, &staff, &session, &form, &errors, 422).await;
    };
    if let Some(token) = &form.form_token
        && !state.store.forms.claim(token).await?
    {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/complaints?resubmitted=1"))
            .finish());
    }
    let new = Intake {
        name: &form.name,
        phone: &form.phone,
        company: &form.company,
        category: &form.category,
        summary: &form.summary,
        description: &form.description,
        remedy: &form.remedy,
    }
    .complaint(email, language, channel, priority);
    match state
        .store
        .complaints
        .receive(Actor::Staff(staff.0.member()), new)
        .await
    {
        Ok(reference) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/complaints/{reference}")))
            .finish()),
        Err(CommandError::Rejected(rejection)) => {
            if let Some(token) = &form.form_token {
                state.store.forms.release(token).await?;
            }
            errors.insert(
                field_of(&rejection),
                crate::refusals::refusal(staff.language(), &rejection),
            );
            render_new(&state, &staff, &session, &form, &errors, 422).await
        }
        Err(other) => {
            if let Some(token) = &form.form_token {
                state.store.forms.release(token).await?;
            }
            Err(other.into())
        }
    }
}

csrf_protected!(NewComplaintForm);
