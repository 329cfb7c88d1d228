//! The JSON API for integrations (`/api/v1`), described by the OpenAPI document served at
//! `/api/openapi.json` and shown at `/api/docs`: file a complaint, read one, list them, and
//! take every action staff can take on one. Authenticated with `Authorization: Bearer rdr_…`
//! tokens that admins create (with their scopes) and revoke. Every error is JSON:
//! `{"error": "what to fix"}`.

mod actions;
mod body;
mod complaints;
mod docs;
mod document;
mod idempotency;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use redress_store::{ApiToken, CommandError, Scope};
use serde::Serialize;

use crate::AppState;

pub(crate) use actions::act;
pub(crate) use complaints::{create, list, show};
pub(crate) use docs::page as docs;
pub(crate) use document::openapi;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// An API error: a status and what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Seconds to wait (429).
    retry_after: Option<i64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"redress\""));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(ErrorBody {
            error: &self.message,
        })
    }
}

impl From<redress_store::StoreError> for ApiError {
    fn from(error: redress_store::StoreError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "api: database unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The database is unavailable; try again shortly.",
            )
        } else {
            tracing::error!(%error, "api: storage failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "No such complaint."),
            CommandError::Rejected(rejection) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, rejection.to_string())
            }
            CommandError::Conflict => ApiError::new(StatusCode::CONFLICT, error.to_string()),
            CommandError::Unavailable(_) => {
                tracing::warn!(error = %redress_store::chain(&error), "api: database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is unavailable; try again shortly.",
                )
            }
            CommandError::Storage(_) => {
                tracing::error!(error = %redress_store::chain(&error), "api: a command failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.")
            }
        }
    }
}

/// API requests one token may make per minute (the app's data).
#[derive(Debug, Clone, Copy)]
pub struct ApiRate(pub i64);

/// The integration calling, known by its token. Every use is counted against the token's
/// rate (429 beyond it) and recorded in the audit trail.
#[derive(Debug, Clone)]
pub struct ApiClient(pub ApiToken);

impl ApiClient {
    /// Refuses (403) a token that may not do what `scope` allows.
    pub(crate) fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.allows(scope) {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "This token may not do this: it needs the `{}` scope, and has `{}`. An admin \
                 creates a token with it at /admin/api-tokens.",
                scope.code(),
                self.0.scopes
            ),
        ))
    }

    /// Who the complaint's history says acted: the integration, by its token's name.
    pub(crate) fn actor(&self) -> redress_domain::Actor {
        redress_domain::Actor::System {
            name: format!("API: {}", self.0.name),
        }
    }
}

impl FromRequest for ApiClient {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let per_minute = req.app_data::<web::Data<ApiRate>>().map_or(600, |r| r.0);
        let address = crate::security::client_address(req);
        let what = format!("{} {}", req.method(), req.path());
        Box::pin(async move {
            let unauthorized = || {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "Send an API token as `Authorization: Bearer rdr_…`; admins create them at /admin/api-tokens.",
                )
            };
            let state = state.ok_or_else(|| ApiError::bad_request("no state"))?;
            let token = token.ok_or_else(unauthorized)?;
            let Some(found) = state.store.api_tokens.authenticate(&token).await? else {
                return Err(unauthorized());
            };
            let now = state.store.clock.now();
            let this_minute = state
                .store
                .rate_limits
                .count_hit(&format!("api:{}", found.id), now, 60)
                .await?;
            if this_minute > per_minute {
                // The count starts again with the next minute (the window's).
                let wait = 60 - now.timestamp().rem_euclid(60);
                return Err(ApiError {
                    retry_after: Some(wait),
                    ..ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        format!(
                            "Too many requests: one token may make {per_minute} a minute. Try \
                             again in {wait} s."
                        ),
                    )
                });
            }
            // Recorded once a minute per token (its first request of the minute): the
            // trail shows who used the API when, without a row per request.
            if this_minute == 1 {
                state
                    .store
                    .audit
                    .record(
                        now,
                        redress_store::AuditAction::TokenUsed,
                        &redress_store::AuditActor::token(found.id, &found.name),
                        &found.name,
                        &format!("{what} (the token's first request this minute)"),
                        &address,
                    )
                    .await?;
            }
            Ok(ApiClient(found))
        })
    }
}

/// How a JSON body that cannot be read is answered.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_JSON_BYTES)
        .error_handler(|error, _| {
            use actix_web::error::JsonPayloadError;
            let api = match &error {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("The body is larger than {MAX_JSON_BYTES} bytes."),
                ),
                JsonPayloadError::ContentType => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send JSON with Content-Type: application/json.",
                ),
                other => ApiError::bad_request(format!("The JSON body cannot be read: {other}")),
            };
            api.into()
        })
}

/// How bad query parameters are answered on the API.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _| ApiError::bad_request(error.to_string()).into())
}
