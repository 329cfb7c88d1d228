//! Who may use which route: the rules are a column of the route table
//! ([`crate::routes::ROUTES`]), enforced in one place ([`authorize`]), written out for people
//! in `docs/access.md` (a test keeps the two the same and walks every route as every role).
//!
//! A route with no rule is refused: a route added without deciding who may use it cannot be
//! reached. Rules finer than a route (only managers may change a company's tier, nobody may
//! take away their own admin role) stay in the handlers, and are listed in the document.

use actix_session::SessionExt;
use actix_web::FromRequest;
use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::auth::CurrentStaff;
use crate::error::AppError;

pub use crate::routes::Access;

/// Enforces [`crate::routes::ROUTES`]: staff routes need a signed-in member of staff of the role (the
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
            Ok(staff) => for_staff(response, &staff),
            Err(_) => response,
        });
    };
    let Some(rule) = crate::routes::find(request.method().as_str(), &pattern) else {
        let mut allowed: Vec<&str> = crate::routes::ROUTES
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
        // A role that requires a second factor, and none set up yet: that first.
        Ok(staff)
            if staff.0.two_factor_required
                && !staff.0.two_factor
                && !["/account/two-factor", "/sign-out"].contains(&rule.path) =>
        {
            Ok(request.into_response(
                actix_web::HttpResponse::SeeOther()
                    .insert_header((actix_web::http::header::LOCATION, "/account/two-factor"))
                    .finish(),
            ))
        }
        Ok(staff) if staff.0.role >= role => {
            request.extensions_mut().insert(staff.clone());
            let response = next.call(request).await?.map_into_boxed_body();
            Ok(for_staff(response, &staff))
        }
        // Answered here, not returned as errors: the headers middleware adds its headers to
        // responses only.
        Ok(staff) => Ok(for_staff(
            request.error_response(AppError::Forbidden),
            &staff,
        )),
        Err(error) => Ok(request.error_response(error)),
    }
}

/// An error answered to a signed-in member of staff: the same words and status, in the
/// site's layout with the header, navigation and sign-out (the bare page otherwise).
pub(crate) fn for_staff(
    response: ServiceResponse<BoxBody>,
    staff: &CurrentStaff,
) -> ServiceResponse<BoxBody> {
    let Some((title, message)) = response
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .filter(|e| !matches!(e, AppError::SignInRequired(_) | AppError::SessionExpired(_)))
        .map(|e| {
            let (title, message) = e.words();
            (title.to_string(), message.to_string())
        })
    else {
        return response;
    };
    let request = response.request();
    let Some(state) = request.app_data::<web::Data<crate::AppState>>() else {
        return response;
    };
    let body = crate::page_context(staff, &request.get_session()).and_then(|mut context| {
        context.insert("title", &title);
        context.insert("message", &message);
        Ok(state.tera.render("error.html", &context)?)
    });
    match body {
        Ok(body) => response.map_body(|_, _| BoxBody::new(body)),
        Err(_) => response,
    }
}
