//! What every response says to the browser about safety, and the size every request body is
//! held to.
//!
//! - A strict Content-Security-Policy: scripts and styles only from this site (no inline
//!   script or style at all: the pages have none, and a test in a real browser fails on any
//!   violation), no plug-ins, no framing (`frame-ancestors 'none'`), forms post only here.
//!   A response that sets its own policy (a file download's `sandbox`) keeps it.
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (a customer's status
//!   link carries its token in the address, which must never leave in a Referer),
//!   `X-Frame-Options: DENY` for old browsers, a `Permissions-Policy` that turns off what
//!   Redress never uses, `Cross-Origin-Opener-Policy: same-origin`.
//! - `Strict-Transport-Security` when Redress is served over HTTPS (`secure_cookies`).
//! - `Cache-Control: no-store` on every response that does not choose its own.
//! - A request that announces a body larger than [`MAX_BODY_BYTES`] is refused with 413
//!   before anything reads it; the extractors hold smaller bodies to their own limits
//!   (forms [`crate::MAX_FORM_BYTES`], the JSON API 64 KiB).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError, web};
use futures::StreamExt;

use crate::error::AppError;

/// The Content-Security-Policy of every page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The largest request body announced that is read at all.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// How long browsers keep to HTTPS once told (a year), when served over HTTPS.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Whether to send HSTS (the app's data).
#[derive(Debug, Clone, Copy)]
pub struct Https(pub bool);

/// Adds the headers of the module's documentation to every response, and refuses bodies
/// announced larger than [`MAX_BODY_BYTES`].
pub(crate) async fn headers(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // HEAD is GET without the body (RFC 9110): the GET route answers it, and the server
    // sends its headers only (the connection knows the request was a HEAD).
    if request.method() == actix_web::http::Method::HEAD {
        request.head_mut().method = actix_web::http::Method::GET;
    }
    // Refusals are made into responses (the access check inside does the same), so that
    // they carry the headers too. (The request must not be cloned before routing: the
    // router needs it alone.)
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let https = request.app_data::<web::Data<Https>>().is_some_and(|h| h.0);
    // Forms with files may carry their files (each one is checked again as it is read).
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"));
    let limit = if multipart {
        request
            .app_data::<web::Data<crate::AppState>>()
            .map_or(MAX_BODY_BYTES, |state| state.uploads.max_body_bytes())
    } else {
        MAX_BODY_BYTES
    };
    let urlencoded = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .starts_with("application/x-www-form-urlencoded")
        });
    let mut response = if announced.is_some_and(|n| n > limit) {
        request.error_response(AppError::TooLarge(format!(
            "The request is larger than {} KB; send less at a time.",
            limit / 1024
        )))
    } else if urlencoded {
        // Form decoding would turn bytes that are not UTF-8 into U+FFFD and store them as
        // the customer's words; such a form is refused here, for every form, before any
        // handler sees it. (Forms with files check each field as they read it.)
        let (http, mut payload) = request.into_parts();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > crate::MAX_FORM_BYTES {
                let refusal = AppError::TooLarge(format!(
                    "The form is larger than {} KB; shorten what you wrote.",
                    crate::MAX_FORM_BYTES / 1024
                ));
                return Ok(
                    ServiceResponse::new(http, refusal.error_response()).map_into_boxed_body()
                );
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        if let Err(field) = form_is_utf8(&body) {
            let refusal = AppError::BadForm(format!(
                "the field {field:?} is not UTF-8 text; send it again from the page's form"
            ));
            return Ok(ServiceResponse::new(http, refusal.error_response()).map_into_boxed_body());
        }
        let request = ServiceRequest::from_parts(http, actix_web::dev::Payload::from(body));
        next.call(request).await?.map_into_boxed_body()
    } else {
        next.call(request).await?.map_into_boxed_body()
    };
    let set = response.headers_mut();
    // Nothing is kept by browsers or proxies unless it says so itself (the fingerprinted
    // assets, the API's description): pages, refusals and redirects carry what one person
    // may see.
    let defaults: [(HeaderName, &str); 7] = [
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !set.contains_key(&name) {
            set.insert(name, HeaderValue::from_static(value));
        }
    }
    if https {
        set.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(response)
}

/// Checks that every name and value of a urlencoded form decodes to UTF-8 text; else the
/// name (as far as it can be read) of the first that does not.
fn form_is_utf8(body: &[u8]) -> Result<(), String> {
    for pair in body.split(|b| *b == b'&') {
        let mut parts = pair.splitn(2, |b| *b == b'=');
        let name = percent_decoded(parts.next().unwrap_or_default());
        let value = percent_decoded(parts.next().unwrap_or_default());
        if std::str::from_utf8(&name).is_err() || std::str::from_utf8(&value).is_err() {
            return Err(String::from_utf8_lossy(&name).into_owned());
        }
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` decoding of one part: `+` is a space, `%XX` a byte
/// (a `%` not followed by two hex digits stays as it is, as browsers' decoders do).
fn percent_decoded(part: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(part.len());
    let mut i = 0;
    while i < part.len() {
        match part[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                part.get(i + 1).copied().and_then(hex),
                part.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

/// Where client addresses come from (the app's data).
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientAddresses {
    /// Behind a reverse proxy that appends the client's address to `X-Forwarded-For`: take
    /// the last address in it (the one our proxy saw). Otherwise the connection's peer,
    /// and the header is ignored (anyone can write it).
    pub trust_forwarded_for: bool,
}

/// The client's address, for rate limits and the audit trail.
pub fn client_address(request: &HttpRequest) -> String {
    let trust = request
        .app_data::<web::Data<ClientAddresses>>()
        .is_some_and(|c| c.trust_forwarded_for);
    if trust
        && let Some(last) = request
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .last()
            .and_then(|v| v.parse::<std::net::IpAddr>().ok())
    {
        return last.to_string();
    }
    request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Records what a member of staff did in the audit trail, with where from.
pub(crate) async fn audit(
    state: &crate::AppState,
    request: &HttpRequest,
    staff: &crate::CurrentStaff,
    action: redress_store::AuditAction,
    target: &str,
    detail: &str,
) -> Result<(), AppError> {
    state
        .store
        .audit
        .record(
            state.store.clock.now(),
            action,
            &redress_store::AuditActor::staff(&staff.0),
            target,
            detail,
            &client_address(request),
        )
        .await?;
    Ok(())
}
