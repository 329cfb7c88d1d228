//! `GET/POST /admin/surveys`: who the periodic surveys ask and how often. Admins set every
//! contact's interval, the key accounts' major contacts' own, the minimum gap between two
//! invitations and how many go an hour; until they save, the instance's settings apply. The
//! page says how many contacts the next wave would ask.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use redress_store::AuditAction;
use redress_store::surveys::{RulesError, SurveyRules};
use serde::{Deserialize, Serialize};

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::locale::text;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// The form as typed (shown again when refused).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct RulesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    every_months: String,
    #[serde(default)]
    key_every_months: String,
    #[serde(default)]
    min_days: String,
    #[serde(default)]
    per_hour: String,
}

csrf_protected!(RulesForm);

impl RulesForm {
    fn of(rules: SurveyRules) -> Self {
        Self {
            csrf: String::new(),
            every_months: rules.every_months.to_string(),
            key_every_months: rules.key_every_months.to_string(),
            min_days: rules.min_days.to_string(),
            per_hour: rules.per_hour.to_string(),
        }
    }

    /// The rules typed, or which field is not a whole number.
    fn rules(&self, staff: &CurrentStaff) -> Result<SurveyRules, String> {
        let number = |value: &str, field: &str| {
            value.trim().parse::<u32>().map_err(|_| {
                crate::locale::text_with(
                    staff.language(),
                    "admin-surveys-not-a-number",
                    &[
                        ("field", text(staff.language(), field)),
                        ("value", value.chars().take(20).collect()),
                    ],
                )
            })
        };
        Ok(SurveyRules {
            every_months: number(&self.every_months, "admin-surveys-every")?,
            key_every_months: number(&self.key_every_months, "admin-surveys-key-every")?,
            min_days: number(&self.min_days, "admin-surveys-min-days")?,
            per_hour: number(&self.per_hour, "admin-surveys-per-hour")?,
        })
    }
}

/// What the page shows besides the rules in force: the form as typed, a refusal, a notice.
#[derive(Default)]
struct Shown {
    form: Option<RulesForm>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    shown: Shown,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let in_force = state.store.surveys.rules(state.survey_defaults).await?;
    let now = state.store.clock.now();
    let due = if in_force.rules.active() {
        Some(state.store.surveys.choose(in_force.rules, now).await?.len())
    } else {
        None
    };
    let mut context = page_context(staff, session)?;
    context.insert(
        "form",
        &shown.form.unwrap_or_else(|| RulesForm::of(in_force.rules)),
    );
    context.insert("active", &in_force.rules.active());
    context.insert("due", &due);
    context.insert(
        "saved",
        &in_force
            .saved
            .map(|(at, by)| serde_json::json!({ "at": at, "by": by })),
    );
    context.insert("error", &shown.error);
    context.insert("notice", &shown.notice);
    render(state, "admin/surveys.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /admin/surveys
pub(crate) async fn page(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        notice: (query.done.as_deref() == Some("saved"))
            .then(|| text(staff.language(), "admin-surveys-saved")),
        ..Shown::default()
    };
    render_page(&state, &staff, &session, shown, 200).await
}

/// POST /admin/surveys: saves the rules for every instance's next wave.
pub(crate) async fn save(
    state: web::Data<AppState>,
    request: HttpRequest,
    Signed {
        staff,
        session,
        form,
    }: Signed<RulesForm>,
) -> Result<HttpResponse, AppError> {
    let rules = match form.rules(&staff) {
        Ok(rules) => rules,
        Err(message) => {
            return refuse(&state, &staff, &session, form, message).await;
        }
    };
    match state
        .store
        .surveys
        .set_rules(rules, &staff.0.name, state.store.clock.now())
        .await
    {
        Ok(()) => {
            crate::security::audit(
                &state,
                &request,
                &staff,
                AuditAction::SurveyRulesChanged,
                "survey_rules",
                &format!(
                    "every {} months, key accounts' major contacts every {}, never twice \
                     within {} days, {} an hour",
                    rules.every_months, rules.key_every_months, rules.min_days, rules.per_hour
                ),
            )
            .await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin/surveys?done=saved"))
                .finish())
        }
        Err(RulesError::Invalid(message)) => refuse(&state, &staff, &session, form, message).await,
        Err(RulesError::Store(error)) => Err(error.into()),
    }
}

/// The page again with the form as typed and what to fix (422).
async fn refuse(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    form: RulesForm,
    message: String,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        form: Some(form),
        error: Some(message),
        notice: None,
    };
    render_page(state, staff, session, shown, 422).await
}
