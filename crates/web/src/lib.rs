//! The web application of Redress: routes, views and the mapping of errors to HTTP. It asks
//! the store for everything and holds no SQL of its own.

#![forbid(unsafe_code)]

pub mod access;
pub mod account;
pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod categories;
pub mod causes;
pub mod charts;
pub mod clocks;
pub mod companies;
pub mod complaints;
pub mod corrective_actions;
pub mod customers;
pub mod emails;
pub mod error;
pub mod key_accounts;
pub mod locale;
pub mod metrics;
pub mod notifications;
pub(crate) mod page;
pub mod passkeys;
pub mod password_reset;
pub mod passwords;
pub(crate) mod pending_sign_in;
pub mod public;
pub mod refusals;
pub mod reports;
pub mod routes;
pub mod security;
pub mod sign_in_methods;
pub mod signed;
pub mod sla;
pub mod sso;
pub mod status;
pub mod surveys;
pub mod tags;
pub mod teams;
pub mod two_factor;
pub mod uploads;
pub(crate) mod words;

pub use auth::CurrentStaff;
pub use error::AppError;

use std::net::TcpListener;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{App, HttpResponse, HttpServer, web};
use redress_store::Store;
use serde::{Deserialize, Serialize};
use tera::Tera;

/// The templates, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "layouts/base.html",
        include_str!("../../../templates/layouts/base.html"),
    ),
    (
        "layouts/public.html",
        include_str!("../../../templates/layouts/public.html"),
    ),
    (
        "admin/webhooks.html",
        include_str!("../../../templates/admin/webhooks.html"),
    ),
    (
        "admin/webhook.html",
        include_str!("../../../templates/admin/webhook.html"),
    ),
    (
        "api/docs.html",
        include_str!("../../../templates/api/docs.html"),
    ),
    (
        "complaints/sent.html",
        include_str!("../../../templates/complaints/sent.html"),
    ),
    (
        "notifications/list.html",
        include_str!("../../../templates/notifications/list.html"),
    ),
    (
        "admin/saved_replies.html",
        include_str!("../../../templates/admin/saved_replies.html"),
    ),
    (
        "complaints/bulk.html",
        include_str!("../../../templates/complaints/bulk.html"),
    ),
    (
        "tags/list.html",
        include_str!("../../../templates/tags/list.html"),
    ),
    (
        "categories/list.html",
        include_str!("../../../templates/categories/list.html"),
    ),
    (
        "causes/list.html",
        include_str!("../../../templates/causes/list.html"),
    ),
    (
        "causes/actions.html",
        include_str!("../../../templates/causes/actions.html"),
    ),
    (
        "reports/causes.html",
        include_str!("../../../templates/reports/causes.html"),
    ),
    (
        "reports/loyalty.html",
        include_str!("../../../templates/reports/loyalty.html"),
    ),
    (
        "teams/list.html",
        include_str!("../../../templates/teams/list.html"),
    ),
    (
        "teams/edit.html",
        include_str!("../../../templates/teams/edit.html"),
    ),
    (
        "complaints/list.html",
        include_str!("../../../templates/complaints/list.html"),
    ),
    ("error.html", include_str!("../../../templates/error.html")),
    (
        "complaints/show.html",
        include_str!("../../../templates/complaints/show.html"),
    ),
    (
        "complaints/new.html",
        include_str!("../../../templates/complaints/new.html"),
    ),
    (
        "auth/code.html",
        include_str!("../../../templates/auth/code.html"),
    ),
    (
        "account/two_factor.html",
        include_str!("../../../templates/account/two_factor.html"),
    ),
    (
        "auth/sign_in.html",
        include_str!("../../../templates/auth/sign_in.html"),
    ),
    (
        "auth/forgot_password.html",
        include_str!("../../../templates/auth/forgot_password.html"),
    ),
    (
        "auth/reset_password.html",
        include_str!("../../../templates/auth/reset_password.html"),
    ),
    (
        "auth/sso_refused.html",
        include_str!("../../../templates/auth/sso_refused.html"),
    ),
    (
        "auth/reset_link_spent.html",
        include_str!("../../../templates/auth/reset_link_spent.html"),
    ),
    (
        "admin/users.html",
        include_str!("../../../templates/admin/users.html"),
    ),
    (
        "companies/list.html",
        include_str!("../../../templates/companies/list.html"),
    ),
    (
        "companies/show.html",
        include_str!("../../../templates/companies/show.html"),
    ),
    (
        "public/survey.html",
        include_str!("../../../templates/public/survey.html"),
    ),
    (
        "companies/key_accounts.html",
        include_str!("../../../templates/companies/key_accounts.html"),
    ),
    (
        "customers/show.html",
        include_str!("../../../templates/customers/show.html"),
    ),
    (
        "public/complain.html",
        include_str!("../../../templates/public/complain.html"),
    ),
    (
        "public/thanks.html",
        include_str!("../../../templates/public/thanks.html"),
    ),
    (
        "public/status.html",
        include_str!("../../../templates/public/status.html"),
    ),
    (
        "public/link.html",
        include_str!("../../../templates/public/link.html"),
    ),
    (
        "admin/api_tokens.html",
        include_str!("../../../templates/admin/api_tokens.html"),
    ),
    (
        "admin/mail.html",
        include_str!("../../../templates/admin/mail.html"),
    ),
    (
        "admin/intake.html",
        include_str!("../../../templates/admin/intake.html"),
    ),
    (
        "complaints/email.html",
        include_str!("../../../templates/complaints/email.html"),
    ),
    (
        "customers/export.html",
        include_str!("../../../templates/customers/export.html"),
    ),
    (
        "customers/erase.html",
        include_str!("../../../templates/customers/erase.html"),
    ),
    (
        "admin/audit.html",
        include_str!("../../../templates/admin/audit.html"),
    ),
    (
        "admin/retention.html",
        include_str!("../../../templates/admin/retention.html"),
    ),
    (
        "sla/dashboard.html",
        include_str!("../../../templates/sla/dashboard.html"),
    ),
    (
        "account/password.html",
        include_str!("../../../templates/account/password.html"),
    ),
    (
        "admin/password.html",
        include_str!("../../../templates/admin/password.html"),
    ),
    (
        "sla/live.html",
        include_str!("../../../templates/sla/live.html"),
    ),
    (
        "sla/live_document.html",
        include_str!("../../../templates/sla/live_document.html"),
    ),
    (
        "sla/rules.html",
        include_str!("../../../templates/sla/rules.html"),
    ),
    (
        "admin/sla.html",
        include_str!("../../../templates/admin/sla.html"),
    ),
    (
        "account/settings.html",
        include_str!("../../../templates/account/settings.html"),
    ),
    (
        "reports/overview.html",
        include_str!("../../../templates/reports/overview.html"),
    ),
    (
        "reports/feedback.html",
        include_str!("../../../templates/reports/feedback.html"),
    ),
    (
        "reports/customers.html",
        include_str!("../../../templates/reports/customers.html"),
    ),
    (
        "reports/fca.html",
        include_str!("../../../templates/reports/fca.html"),
    ),
    (
        "reports/filters.html",
        include_str!("../../../templates/reports/filters.html"),
    ),
    (
        "admin/surveys.html",
        include_str!("../../../templates/admin/surveys.html"),
    ),
    (
        "surveys/answers.html",
        include_str!("../../../templates/surveys/answers.html"),
    ),
    (
        "reports/tables.html",
        include_str!("../../../templates/reports/tables.html"),
    ),
    (
        "reports/nav.html",
        include_str!("../../../templates/reports/nav.html"),
    ),
];

/// Builds the template engine from the compiled-in templates.
pub fn templates() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    locale::register(&mut tera);
    assets::register(&mut tera);
    tera.add_raw_templates(TEMPLATES.iter().copied())?;
    Ok(tera)
}

/// What every handler can reach.
pub struct AppState {
    /// Storage.
    pub store: Store,
    /// Templates.
    pub tera: Tera,
    /// The email intake's status on this instance, when the intake is configured.
    pub intake: Option<redress_intake::StatusBoard>,
    /// What forms with files may carry.
    pub uploads: uploads::UploadLimits,
    /// The currency redress is paid in.
    pub currency: redress_domain::Currency,
    /// How long staff sessions last (to list only the live ones).
    pub sessions: auth::SessionLimits,
    /// The ways in: single sign-on, passkeys, and who may use a password.
    pub sign_in: std::sync::Arc<sign_in_methods::SignInMethods>,
    /// When a key account counts as at risk.
    pub key_account_risk: redress_store::key_accounts::RiskRules,
    /// The periodic surveys' rules until an admin saves some (the settings).
    pub survey_defaults: redress_store::surveys::SurveyRules,
}

/// Settings of the web layer.
#[derive(Clone)]
pub struct WebSettings {
    /// Signs and encrypts session cookies (64 bytes; shared by every instance).
    pub session_key: Key,
    /// Mark cookies `Secure` (serve over HTTPS).
    pub secure_cookies: bool,
    /// Metrics and leadership, for `/metrics`.
    pub ops: metrics::Ops,
    /// Serve only `/healthz` and `/metrics` (an instance started with `--workers-only`).
    pub ops_only: bool,
    /// The email intake's status, when it is configured.
    pub intake: Option<redress_intake::StatusBoard>,
    /// How long staff sessions last.
    pub sessions: auth::SessionLimits,
    /// Where client addresses come from.
    pub clients: security::ClientAddresses,
    /// API requests one token may make per minute.
    pub api_per_minute: i64,
    /// Days personal data is kept after a customer's last complaint closed (0: forever).
    pub retention_days: u32,
    /// What forms with files may carry.
    pub uploads: uploads::UploadLimits,
    /// The currency redress is paid in.
    pub currency: redress_domain::Currency,
    /// How people may sign in.
    pub sign_in: sign_in_methods::SignInSettings,
    /// When a key account counts as at risk.
    pub key_account_risk: redress_store::key_accounts::RiskRules,
    /// The periodic surveys' rules until an admin saves some (the settings).
    pub survey_defaults: redress_store::surveys::SurveyRules,
}

impl WebSettings {
    /// The settings with the session key this installation keeps in its database.
    pub async fn from_store(
        store: &Store,
        secure_cookies: bool,
    ) -> Result<Self, redress_store::StoreError> {
        let key = store.instance_secret("session_key", 64).await?;
        Ok(Self {
            session_key: Key::from(&key),
            secure_cookies,
            ops: metrics::Ops {
                metrics: std::sync::Arc::new(metrics::Metrics::new()),
                leadership: store.projections.leadership(),
            },
            ops_only: false,
            intake: None,
            sessions: auth::SessionLimits::default(),
            clients: security::ClientAddresses::default(),
            api_per_minute: 600,
            retention_days: 0,
            uploads: uploads::UploadLimits::default(),
            currency: redress_domain::Currency::default(),
            sign_in: sign_in_methods::SignInSettings::default(),
            key_account_risk: redress_store::key_accounts::RiskRules::default(),
            survey_defaults: redress_store::surveys::SurveyRules::default(),
        })
    }
}

/// Renders a template with a status.
pub(crate) fn render(
    state: &AppState,
    template: &str,
    context: &tera::Context,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let body = if context.contains_key("lang") {
        state.tera.render(template, context)?
    } else {
        // Every page's texts are looked up in its language; one that names none is English.
        let mut context = context.clone();
        context.insert("lang", "en");
        state.tera.render(template, &context)?
    };
    let status = StatusCode::from_u16(status).map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The context every signed-in page starts from (its [`page::Layout`]), for the pages whose
/// views are still inserted one by one.
pub(crate) fn page_context(
    staff: &CurrentStaff,
    session: &actix_session::Session,
) -> Result<tera::Context, AppError> {
    Ok(tera::Context::from_serialize(page::Layout::new(
        staff, session,
    )?)?)
}

/// The time zone a member of staff reads times in: theirs, else UTC.
pub(crate) fn viewer_zone(staff: &CurrentStaff) -> chrono_tz::Tz {
    staff
        .0
        .time_zone
        .as_deref()
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}

/// What `/healthz` answers.
#[derive(Debug, Serialize, Deserialize)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.store.db.backend() {
        redress_store::Backend::Sqlite => "sqlite",
        redress_store::Backend::Postgres => "postgres",
    };
    let answer = tokio::time::timeout(Duration::from_secs(3), state.store.db.ping()).await;
    let (code, status) = match answer {
        Ok(Ok(())) => (StatusCode::OK, "ok"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer within 3 s");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    };
    HttpResponse::build(code)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health {
            status: status.into(),
            database: database.into(),
        })
}

/// A redirect to `location` (303).
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Largest form body accepted (complaint texts are at most 20,000 characters).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// Starts the HTTP server on `listener` (bind port 0 in tests).
pub fn serve(
    listener: TcpListener,
    store: Store,
    settings: WebSettings,
) -> std::io::Result<Server> {
    let tera = templates().map_err(std::io::Error::other)?;
    let state = web::Data::new(AppState {
        store,
        tera,
        intake: settings.intake.clone(),
        uploads: settings.uploads,
        currency: settings.currency.clone(),
        sessions: settings.sessions,
        sign_in: std::sync::Arc::new(sign_in_methods::SignInMethods::new(&settings.sign_in)),
        key_account_risk: settings.key_account_risk,
        survey_defaults: settings.survey_defaults,
    });
    let ops = web::Data::new(settings.ops.clone());
    let https = web::Data::new(security::Https(settings.secure_cookies));
    let limits = web::Data::new(settings.sessions);
    let clients = web::Data::new(settings.clients);
    let api_limit = web::Data::new(api::ApiRate(settings.api_per_minute));
    let retention = web::Data::new(admin::retention::RetentionDays(settings.retention_days));
    let server = HttpServer::new(move || {
        let sessions =
            SessionMiddleware::builder(CookieSessionStore::default(), settings.session_key.clone())
                .cookie_name("redress_session".into())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Strict)
                .cookie_secure(settings.secure_cookies)
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(BrowserSession::default())
                .build();
        // The last wrapped runs first: metrics, headers, the session, then the access check.
        let app = App::new()
            .wrap(actix_web::middleware::from_fn(access::authorize))
            .wrap(sessions)
            .wrap(actix_web::middleware::from_fn(security::headers))
            .wrap(actix_web::middleware::from_fn(metrics::observe))
            .app_data(state.clone())
            .app_data(ops.clone())
            .app_data(https.clone())
            .app_data(limits.clone())
            .app_data(clients.clone())
            .app_data(api_limit.clone())
            .app_data(retention.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(MAX_FORM_BYTES)
                    .error_handler(|error, _| {
                        use actix_web::error::UrlencodedError;
                        match error {
                            UrlencodedError::Overflow { .. } => AppError::TooLarge(format!(
                                "The form is larger than {} KB; shorten what you wrote.",
                                MAX_FORM_BYTES / 1024
                            )),
                            other => AppError::BadForm(other.to_string()),
                        }
                        .into()
                    }),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|error, _| AppError::BadForm(error.to_string()).into()),
            );
        if settings.ops_only {
            app.configure(routes::ops)
                .default_service(web::to(not_found))
        } else {
            app.configure(routes::all)
                .default_service(web::to(not_found))
        }
    })
    .listen(listener)?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use redress_store::CommandError;

    #[test]
    fn every_template_parses() {
        let tera = templates().expect("templates parse");
        for (name, _) in TEMPLATES {
            assert!(
                tera.get_template_names().any(|n| n == *name),
                "{name} missing"
            );
        }
    }

    #[test]
    fn the_error_template_renders() {
        let tera = templates().unwrap();
        let mut context = tera::Context::new();
        context.insert("lang", "es");
        context.insert("title", "Not found");
        context.insert("message", "There is nothing here.");
        let html = tera.render("error.html", &context).unwrap();
        assert!(html.contains("<h1>Not found</h1>"));
        assert!(html.contains("<html lang=\"es\">"), "{html}");
    }

    #[test]
    fn command_errors_map_to_the_right_status_and_never_leak_storage_details() {
        use actix_web::body::MessageBody;
        let reference = redress_domain::Reference::parse("RDR-0000-0000").unwrap();
        let cases: Vec<(CommandError, u16, &str)> = vec![
            (CommandError::NotFound(reference), 404, "Not found"),
            (
                CommandError::Rejected(redress_domain::ComplaintError::NoOwner),
                422,
                "Name the person responsible (step 5) before resolving the complaint.",
            ),
            (
                CommandError::Conflict,
                409,
                "Someone else changed this complaint",
            ),
            (
                CommandError::Storage("relation \"events\" <b>does not exist</b>".into()),
                500,
                "Something went wrong",
            ),
        ];
        for (error, status, words) in cases {
            let response = AppError::from(error).error_response();
            assert_eq!(response.status().as_u16(), status);
            let body = response.into_body().try_into_bytes().unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            assert!(body.contains(words), "{body}");
            assert!(!body.contains("relation"), "{body}");
        }
    }
}
