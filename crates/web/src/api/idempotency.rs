//! `Idempotency-Key` on the API's `POST`s: the same key with the same request gets the first
//! answer again, with `Idempotent-Replayed: true`, and nothing is done twice; the same key
//! with another request is refused (422), as is a second request while the first is still
//! being answered (409). Only successful answers are kept: a refused or failed request wrote
//! nothing, so its key is free again. Keys are per token and kept for a day.

use std::future::Future;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use redress_store::{KeptAnswer, KeyClaim};
use sha2::{Digest, Sha256};

use super::body::JsonBody;
use super::{ApiClient, ApiError};
use crate::AppState;

/// The header.
pub(crate) const HEADER: &str = "Idempotency-Key";

/// An answer of the API, whole, so that it can be kept and given again.
pub(crate) struct Answer {
    /// Its status (2xx).
    pub(crate) status: StatusCode,
    /// Its JSON body.
    pub(crate) body: serde_json::Value,
    /// Where the thing it made can be read, if it made one.
    pub(crate) location: Option<String>,
}

impl Answer {
    fn response(status: StatusCode, body: String, location: Option<&str>) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(location) = location {
            response.insert_header((header::LOCATION, location));
        }
        response.content_type("application/json").body(body)
    }
}

/// The key sent, if any; refused unless it is 1 to 255 visible ASCII characters.
fn key_of(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(HEADER) else {
        return Ok(None);
    };
    let refuse = || {
        ApiError::bad_request(
            "Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID.",
        )
    };
    let key = value.to_str().map_err(|_| refuse())?.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(refuse());
    }
    Ok(Some(key.to_string()))
}

/// A digest of what the request asks: its method, path and body.
fn fingerprint(request: &HttpRequest, body: &JsonBody) -> String {
    let mut digest = Sha256::new();
    digest.update(request.method().as_str().as_bytes());
    digest.update(b" ");
    digest.update(request.path().as_bytes());
    digest.update(b"\n");
    digest.update(&body.0);
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Answers `request` with `answer`, once per `Idempotency-Key` when one is sent.
pub(crate) async fn once<F, Fut>(
    state: &AppState,
    client: &ApiClient,
    request: &HttpRequest,
    body: &JsonBody,
    answer: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer, ApiError>>,
{
    let Some(key) = key_of(request)? else {
        let answer = answer().await?;
        return Ok(Answer::response(
            answer.status,
            answer.body.to_string(),
            answer.location.as_deref(),
        ));
    };
    let token = client.0.id;
    let now = state.store.clock.now();
    match state
        .store
        .idempotency
        .claim(token, &key, &fingerprint(request, body), now)
        .await?
    {
        KeyClaim::Fresh => {}
        KeyClaim::Answered(kept) => {
            let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
            let mut response = Answer::response(status, kept.body, kept.location.as_deref());
            response.headers_mut().insert(
                header::HeaderName::from_static("idempotent-replayed"),
                header::HeaderValue::from_static("true"),
            );
            return Ok(response);
        }
        KeyClaim::OtherRequest => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This Idempotency-Key was sent before with another request (another address or \
                 body); send a new key with each new request.",
            ));
        }
        KeyClaim::InFlight => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "The first request with this Idempotency-Key has not been answered yet; wait \
                 for its answer, or read the complaint to see whether it was done.",
            ));
        }
    }
    match answer().await {
        Ok(answer) => {
            let body = answer.body.to_string();
            let kept = KeptAnswer {
                status: answer.status.as_u16(),
                body,
                location: answer.location,
            };
            if let Err(error) = state.store.idempotency.keep(token, &key, &kept).await {
                // Done, but not kept: the key stays taken, and a retry is told to check.
                tracing::warn!(%error, "api: an idempotent answer could not be kept");
            }
            Ok(Answer::response(
                answer.status,
                kept.body,
                kept.location.as_deref(),
            ))
        }
        Err(refused) => {
            state.store.idempotency.release(token, &key).await?;
            Err(refused)
        }
    }
}
