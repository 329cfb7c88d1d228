//! One error type for every handler, mapped to HTTP: what the visitor sees, with the cause
//! kept for the log and never shown.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use redress_store::{AccountError, Cause, CommandError, StoreError};

/// An error a handler returns; what the visitor sees, with the cause kept for the log.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing there.
    #[error("not found")]
    NotFound,
    /// Not signed in; carries the address to come back to.
    #[error("sign-in required")]
    SignInRequired(String),
    /// The session ended (idle or too old); carries the address to come back to.
    #[error("session expired")]
    SessionExpired(String),
    /// Signed in, but the role does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// A form or query that could not be read (too large, malformed, wrong types).
    #[error("{0}")]
    BadForm(String),
    /// A request body larger than allowed (413).
    #[error("{0}")]
    TooLarge(String),
    /// A form without this session's CSRF token.
    #[error("CSRF token missing or wrong")]
    CsrfRejected,
    /// A rule of the method, or bad input: shown beside the form (422).
    #[error("{0}")]
    Rejected(String),
    /// Two writers on one complaint, even after a retry (409).
    #[error("{0}")]
    Conflict(String),
    /// The database is unreachable.
    #[error("the database is unavailable")]
    Unavailable(#[source] Cause),
    /// Anything else.
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        if error.is_unavailable() {
            AppError::Unavailable(error.into())
        } else if error.is_unstorable_text() {
            AppError::BadForm(
                "The text contains a character that cannot be stored (a NUL); remove it.".into(),
            )
        } else {
            AppError::Internal(error.into())
        }
    }
}

impl From<CommandError> for AppError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::NotFound(_) => AppError::NotFound,
            CommandError::Rejected(rejection) => AppError::Rejected(rejection.to_string()),
            CommandError::Conflict => AppError::Conflict(error.to_string()),
            CommandError::Storage(_) => AppError::Internal(error.into()),
            CommandError::Unavailable(_) => AppError::Unavailable(error.into()),
        }
    }
}

impl From<tera::Error> for AppError {
    fn from(error: tera::Error) -> Self {
        AppError::Internal(error.into())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(error: serde_json::Error) -> Self {
        AppError::Internal(error.into())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::SignInRequired(_) | AppError::SessionExpired(_) => StatusCode::SEE_OTHER,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::BadForm(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let AppError::SignInRequired(here) | AppError::SessionExpired(here) = self {
            let mut query = vec![("next", here.as_str())];
            if let AppError::SessionExpired(_) = self {
                query.push(("expired", "1"));
            }
            let query = serde_urlencoded::to_string(query).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/sign-in?{query}")))
                .finish();
        }
        // The whole chain of causes, logged once, here where the request fails.
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %redress_store::chain(self), "request failed");
        } else if status.is_server_error() {
            tracing::error!(error = %redress_store::chain(self), "request failed");
        }
        let (title, message) = self.words();
        let body = error_page(title, message);
        let mut response = HttpResponse::build(status);
        response.content_type(ContentType::html());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "30"));
        }
        response.body(body)
    }
}

impl AppError {
    /// The page's heading and sentence for this error.
    pub(crate) fn words(&self) -> (&str, &str) {
        match self {
            AppError::NotFound => ("Not found", "There is nothing at this address."),
            AppError::SignInRequired(_) | AppError::SessionExpired(_) => {
                ("Sign in", "Please sign in.")
            }
            AppError::Forbidden => (
                "Not allowed",
                "Your role does not allow this. Ask an administrator if you need it.",
            ),
            AppError::BadForm(reason) => ("The form could not be read", reason.as_str()),
            AppError::TooLarge(reason) => ("Too large", reason.as_str()),
            AppError::CsrfRejected => (
                "Form expired",
                "This form has expired or did not come from Redress. Go back, reload the page and try again.",
            ),
            AppError::Rejected(reason) => ("Not possible", reason.as_str()),
            AppError::Conflict(reason) => ("Changed by someone else", reason.as_str()),
            AppError::Unavailable(_) => (
                "Temporarily unavailable",
                "Redress cannot reach its database just now. Nothing was lost; please try again in a minute.",
            ),
            AppError::Internal(_) => (
                "Something went wrong",
                "Redress hit an unexpected error. It has been logged; please try again.",
            ),
        }
    }
}

/// The error page in the site's layout; plain HTML if even the templates fail.
fn error_page(title: &str, message: &str) -> String {
    static TERA: std::sync::OnceLock<Option<tera::Tera>> = std::sync::OnceLock::new();
    let rendered = TERA
        .get_or_init(|| crate::templates().ok())
        .as_ref()
        .and_then(|tera| {
            let mut context = tera::Context::new();
            // Errors answered before anyone is known are in English.
            context.insert("lang", "en");
            context.insert("title", title);
            context.insert("message", message);
            tera.render("error.html", &context).ok()
        });
    rendered.unwrap_or_else(|| {
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title></head>\
             <body><h1>{0}</h1><p>{1}</p></body></html>",
            tera::escape_html(title),
            tera::escape_html(message)
        )
    })
}

impl AppError {
    /// A session cookie that cannot be read or written.
    pub fn session(error: impl std::fmt::Display) -> Self {
        AppError::Internal(format!("session: {error}").into())
    }
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Store(store) => store.into(),
            AccountError::NotFound => AppError::NotFound,
            other => AppError::Rejected(other.to_string()),
        }
    }
}
