//! A request's JSON body, read whole (at most [`MAX_JSON_BYTES`]) and kept as bytes: the
//! handler parses it, and an `Idempotency-Key` is checked against exactly these bytes.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures::StreamExt;
use serde::de::DeserializeOwned;

use super::{ApiError, MAX_JSON_BYTES};

/// The body as sent.
#[derive(Debug, Clone)]
pub(crate) struct JsonBody(pub(crate) Bytes);

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The body is larger than {MAX_JSON_BYTES} bytes."),
    )
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > MAX_JSON_BYTES) {
                return Err(too_large());
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request(format!("The body could not be read: {e}"))
                })?;
                if bytes.len() + chunk.len() > MAX_JSON_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            // An empty body is allowed where an action needs nothing (close); anything sent
            // must say it is JSON.
            if !bytes.is_empty() && json != Some(true) {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send JSON with Content-Type: application/json.",
                ));
            }
            Ok(JsonBody(Bytes::from(bytes)))
        })
    }
}

impl JsonBody {
    /// The body read as `T`; an empty body reads as `{}`.
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let bytes: &[u8] = if self.0.is_empty() { b"{}" } else { &self.0 };
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("The JSON body cannot be read: {e}")))
    }
}
