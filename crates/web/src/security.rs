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
//! - A request that announces a body larger than [`MAX_BODY_BYTES`] is refused with 413
//!   before anything reads it; the extractors hold smaller bodies to their own limits
//!   (forms [`crate::MAX_FORM_BYTES`], the JSON API 64 KiB).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};

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
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
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
    let mut response = if announced.is_some_and(|n| n > limit) {
        request.error_response(AppError::TooLarge(format!(
            "The request is larger than {} KB; send less at a time.",
            limit / 1024
        )))
    } else {
        next.call(request).await?.map_into_boxed_body()
    };
    let set = response.headers_mut();
    let defaults: [(HeaderName, &str); 6] = [
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
