//! Who may use which route, in one table ([`RULES`]), enforced in one place ([`authorize`]),
//! written out for people in `docs/access.md` (a test keeps the two the same and walks every
//! route as every role).
//!
//! A route with no rule is refused: a route added without deciding who may use it cannot be
//! reached. Rules finer than a route (only managers may change a company's tier, nobody may
//! take away their own admin role) stay in the handlers, and are listed in the document.

use actix_web::FromRequest;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use redress_store::Role;

use crate::auth::CurrentStaff;
use crate::error::AppError;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Anyone,
    /// A customer, through the signed link of their emails (the token in the path is the key;
    /// a wrong or expired one opens nothing).
    Link,
    /// An integration, with an API token (`Authorization: Bearer`).
    Token,
    /// A member of staff with at least this role.
    Staff(Role),
}

impl Access {
    /// How `docs/access.md` writes it.
    pub fn code(self) -> &'static str {
        match self {
            Access::Anyone => "anyone",
            Access::Link => "customer link",
            Access::Token => "API token",
            Access::Staff(Role::Agent) => "agent",
            Access::Staff(Role::Manager) => "manager",
            Access::Staff(Role::Admin) => "admin",
        }
    }
}

/// One route's rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The HTTP method.
    pub method: &'static str,
    /// The route's pattern, as registered.
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
}

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

const AGENT: Access = Access::Staff(Role::Agent);
const MANAGER: Access = Access::Staff(Role::Manager);
const ADMIN: Access = Access::Staff(Role::Admin);

/// Every route, and who may use it.
pub const RULES: &[Rule] = &[
    rule("GET", "/healthz", Access::Anyone),
    rule("GET", "/metrics", Access::Anyone),
    rule("GET", "/", Access::Anyone),
    rule("GET", "/static/{file}", Access::Anyone),
    rule("GET", "/login", Access::Anyone),
    rule("GET", "/admin", Access::Anyone),
    rule("GET", "/sign-in", Access::Anyone),
    rule("POST", "/sign-in", Access::Anyone),
    rule("GET", "/complain", Access::Anyone),
    rule("POST", "/complain", Access::Anyone),
    rule("GET", "/complain/thanks", Access::Anyone),
    rule("POST", "/status/fresh-link", Access::Anyone),
    rule("GET", "/status/{token}", Access::Link),
    rule("POST", "/status/{token}/add", Access::Link),
    rule("POST", "/status/{token}/survey", Access::Link),
    rule("GET", "/status/{token}/files/{id}", Access::Link),
    rule("GET", "/api/openapi.json", Access::Anyone),
    rule("POST", "/api/v1/complaints", Access::Token),
    rule("GET", "/api/v1/complaints", Access::Token),
    rule("GET", "/api/v1/complaints/{reference}", Access::Token),
    rule("POST", "/sign-out", AGENT),
    rule("GET", "/account", AGENT),
    rule("POST", "/account", AGENT),
    rule("GET", "/account/password", AGENT),
    rule("POST", "/account/password", AGENT),
    rule("POST", "/account/notifications", AGENT),
    rule("GET", "/notifications", AGENT),
    rule("POST", "/notifications/read-all", AGENT),
    rule("POST", "/notifications/{id}/read", AGENT),
    rule("GET", "/complaints", AGENT),
    rule("GET", "/complaints/new", AGENT),
    rule("POST", "/complaints/new", AGENT),
    rule("GET", "/complaints/{reference}", AGENT),
    rule("POST", "/complaints/{reference}/sla/cause", AGENT),
    rule("POST", "/complaints/{reference}/reply", AGENT),
    rule("POST", "/complaints/{reference}/note", AGENT),
    rule("GET", "/complaints/{reference}/emails/{id}", AGENT),
    rule("GET", "/complaints/{reference}/emails/{id}/html", AGENT),
    rule("POST", "/complaints/{reference}/{action}", AGENT),
    rule("GET", "/complaints/{reference}/{action}", AGENT),
    rule("GET", "/emails/{id}", AGENT),
    rule("GET", "/files/{id}", AGENT),
    rule("GET", "/companies", AGENT),
    rule("POST", "/companies", AGENT),
    rule("GET", "/companies/{id}", AGENT),
    rule("POST", "/companies/{id}", AGENT),
    rule("GET", "/customers/{id}", AGENT),
    rule("POST", "/customers/{id}", AGENT),
    rule("GET", "/sla", AGENT),
    rule("GET", "/sla/rules", AGENT),
    rule("GET", "/reports", MANAGER),
    rule("GET", "/reports/feedback", MANAGER),
    rule("GET", "/reports/customers", MANAGER),
    rule("GET", "/reports/fca", MANAGER),
    rule("GET", "/customers/{id}/export", ADMIN),
    rule("GET", "/customers/{id}/erase", ADMIN),
    rule("POST", "/customers/{id}/erase", ADMIN),
    rule("GET", "/admin/users", ADMIN),
    rule("POST", "/admin/users", ADMIN),
    rule("POST", "/admin/users/{id}/role", ADMIN),
    rule("POST", "/admin/users/{id}/active", ADMIN),
    rule("GET", "/admin/users/{id}/password", ADMIN),
    rule("POST", "/admin/users/{id}/password", ADMIN),
    rule("GET", "/admin/api-tokens", ADMIN),
    rule("POST", "/admin/api-tokens", ADMIN),
    rule("POST", "/admin/api-tokens/{id}/revoke", ADMIN),
    rule("GET", "/admin/sla", ADMIN),
    rule("POST", "/admin/sla", ADMIN),
    rule("GET", "/admin/saved-replies", ADMIN),
    rule("POST", "/admin/saved-replies", ADMIN),
    rule("POST", "/admin/saved-replies/{id}/archive", ADMIN),
    rule("GET", "/admin/mail", ADMIN),
    rule("POST", "/admin/mail/{id}/retry", ADMIN),
    rule("GET", "/admin/intake", ADMIN),
    rule("POST", "/admin/intake/{id}/dismiss", ADMIN),
    rule("GET", "/admin/audit", ADMIN),
    rule("GET", "/admin/retention", ADMIN),
    rule("POST", "/admin/retention", ADMIN),
];

/// The rule for a request's method and matched route, if there is one.
pub fn rule_for(method: &str, pattern: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.method == method && r.path == pattern)
}

/// Enforces [`RULES`]: staff routes need a signed-in member of staff of the role (the
/// account is read once, and handlers get it from the request); a matched route without a
/// rule for the method gets 405 with the methods that have one (404 when none has), and
/// never reaches a handler. Links and tokens are checked by
/// their handlers' extractors, which know the keys.
pub(crate) async fn authorize(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Matched on the path the router will route: the decoded one. (`match_pattern` reads
    // the raw path before routing, so `/admin/user%73` would match no rule here and still
    // reach `/admin/users`.)
    let Some(pattern) = request
        .resource_map()
        .match_pattern(request.match_info().as_str())
    else {
        // Nothing matched: the router's own not-found answers, in the staff's layout when
        // someone is signed in.
        let response = next.call(request).await?.map_into_boxed_body();
        if response.status() != actix_web::http::StatusCode::NOT_FOUND {
            return Ok(response);
        }
        let staff =
            CurrentStaff::from_request(response.request(), &mut actix_web::dev::Payload::None)
                .await;
        return Ok(match staff {
            Ok(staff) => crate::error::for_staff(response, &staff),
            Err(_) => response,
        });
    };
    let Some(rule) = rule_for(request.method().as_str(), &pattern) else {
        let mut allowed: Vec<&str> = RULES
            .iter()
            .filter(|r| r.path == pattern)
            .map(|r| r.method)
            .collect();
        // HEAD is answered wherever GET is (as GET; see crate::security).
        if allowed.contains(&"GET") {
            allowed.push("HEAD");
        }
        if allowed.is_empty() {
            tracing::warn!(method = %request.method(), %pattern, "a route without an access rule was refused");
            return Ok(request.error_response(AppError::NotFound));
        }
        // Another method on a known route (a HEAD probe, OPTIONS, a stray PUT): what the
        // router would say, without reaching it.
        let response = actix_web::HttpResponse::MethodNotAllowed()
            .insert_header((actix_web::http::header::ALLOW, allowed.join(", ")))
            .finish();
        return Ok(request.into_response(response));
    };
    let Access::Staff(role) = rule.access else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let (http, mut payload) = request.into_parts();
    let staff = CurrentStaff::from_request(&http, &mut payload).await;
    let request = ServiceRequest::from_parts(http, payload);
    match staff {
        // A temporary password an admin set: nothing but choosing one's own (or leaving).
        Ok(staff)
            if staff.0.must_change_password
                && !["/account/password", "/sign-out"].contains(&rule.path) =>
        {
            Ok(request.into_response(
                actix_web::HttpResponse::SeeOther()
                    .insert_header((actix_web::http::header::LOCATION, "/account/password"))
                    .finish(),
            ))
        }
        Ok(staff) if staff.0.role >= role => {
            request.extensions_mut().insert(staff.clone());
            let response = next.call(request).await?.map_into_boxed_body();
            Ok(crate::error::for_staff(response, &staff))
        }
        // Answered here, not returned as errors: the headers middleware adds its headers to
        // responses only.
        Ok(staff) => Ok(crate::error::for_staff(
            request.error_response(AppError::Forbidden),
            &staff,
        )),
        Err(error) => Ok(request.error_response(error)),
    }
}
