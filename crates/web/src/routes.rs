//! Every route of the application in one table ([`ROUTES`]): its method, its pattern, who may
//! use it and its handler, together. A route cannot be added without deciding who may use it
//! (the field is required), [`crate::access::authorize`] enforces the same table, and
//! `docs/access.md` writes it out for people (a test keeps the two the same).

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use redress_store::Role;

use crate::admin::{
    api_tokens, audit, intake, mail, retention, saved_replies, surveys as survey_rules, users,
    webhooks,
};
use crate::sla::policy as sla_policy;
use crate::{
    account, api, assets, auth, categories, causes, companies, complaints, corrective_actions,
    customers, emails, healthz, key_accounts, metrics, notifications, passkeys, password_reset,
    passwords, public, reports, see_other, sla, sso, status, surveys, tags, teams, two_factor,
};

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

/// One route: method, pattern, who may use it, and the handler answering it.
#[derive(Clone, Copy)]
pub struct Route {
    /// The HTTP method ("GET" or "POST").
    pub method: &'static str,
    /// The pattern, as the router matches it (the whole path, `/api` included).
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
    /// Attaches the handler to an actix route of the method.
    pub handler: fn(actix_web::Route) -> actix_web::Route,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.access.code())
    }
}

const fn get(
    path: &'static str,
    access: Access,
    handler: fn(actix_web::Route) -> actix_web::Route,
) -> Route {
    Route {
        method: "GET",
        path,
        access,
        handler,
    }
}

const fn post(
    path: &'static str,
    access: Access,
    handler: fn(actix_web::Route) -> actix_web::Route,
) -> Route {
    Route {
        method: "POST",
        path,
        access,
        handler,
    }
}

const ANYONE: Access = Access::Anyone;
const LINK: Access = Access::Link;
const TOKEN: Access = Access::Token;
const AGENT: Access = Access::Staff(Role::Agent);
const MANAGER: Access = Access::Staff(Role::Manager);
const ADMIN: Access = Access::Staff(Role::Admin);

/// Every route, who may use it, and what answers it.
pub const ROUTES: &[Route] = &[
    get("/healthz", ANYONE, |r| r.to(healthz)),
    get("/metrics", ANYONE, |r| r.to(metrics::metrics)),
    get("/", ANYONE, |r| r.to(|| async { see_other("/complaints") })),
    get("/static/{file}", ANYONE, |r| r.to(assets::serve)),
    // Where people type their way in: the sign-in page, the admin pages.
    get("/login", ANYONE, |r| {
        r.to(|| async { see_other("/sign-in") })
    }),
    get("/admin", ANYONE, |r| {
        r.to(|| async { see_other("/admin/users") })
    }),
    get("/sign-in", ANYONE, |r| r.to(auth::sign_in_page)),
    post("/sign-in", ANYONE, |r| r.to(auth::sign_in)),
    get("/sign-in/code", ANYONE, |r| r.to(two_factor::code_form)),
    post("/sign-in/code", ANYONE, |r| {
        r.to(two_factor::sign_in_with_code)
    }),
    get("/sign-in/sso", ANYONE, |r| r.to(sso::start)),
    get("/sign-in/sso/callback", ANYONE, |r| r.to(sso::callback)),
    post("/sign-in/passkey/options", ANYONE, |r| {
        r.to(passkeys::sign_in_options)
    }),
    post("/sign-in/passkey", ANYONE, |r| r.to(passkeys::sign_in)),
    get("/forgot-password", ANYONE, |r| {
        r.to(password_reset::forgot_form)
    }),
    post("/forgot-password", ANYONE, |r| r.to(password_reset::forgot)),
    get("/reset-password/{token}", ANYONE, |r| {
        r.to(password_reset::reset_form)
    }),
    post("/reset-password/{token}", ANYONE, |r| {
        r.to(password_reset::reset)
    }),
    get("/complain", ANYONE, |r| r.to(public::form)),
    post("/complain", ANYONE, |r| r.to(public::submit)),
    get("/complain/thanks", ANYONE, |r| r.to(public::thanks)),
    post("/status/fresh-link", ANYONE, |r| r.to(status::fresh_link)),
    get("/status/{token}", LINK, |r| r.to(status::page)),
    post("/status/{token}/add", LINK, |r| r.to(status::add)),
    post("/status/{token}/survey", LINK, |r| r.to(status::survey)),
    get("/status/{token}/files/{id}", LINK, |r| r.to(status::file)),
    get("/survey/{token}", LINK, |r| r.to(surveys::show)),
    post("/survey/{token}", LINK, |r| r.to(surveys::answer)),
    get("/survey/{token}/thanks", LINK, |r| r.to(surveys::thanks)),
    get("/survey/{token}/stop", LINK, |r| {
        r.to(surveys::confirm_stop)
    }),
    post("/survey/{token}/stop", LINK, |r| r.to(surveys::stop)),
    get("/api/openapi.json", ANYONE, |r| r.to(api::openapi)),
    get("/api/docs", ANYONE, |r| r.to(api::docs)),
    post("/api/v1/complaints", TOKEN, |r| r.to(api::create)),
    get("/api/v1/complaints", TOKEN, |r| r.to(api::list)),
    get("/api/v1/complaints/{reference}", TOKEN, |r| r.to(api::show)),
    post("/api/v1/complaints/{reference}/{action}", TOKEN, |r| {
        r.to(api::act)
    }),
    post("/sign-out", AGENT, |r| r.to(auth::sign_out)),
    get("/account", AGENT, |r| r.to(account::settings_page)),
    post("/account", AGENT, |r| r.to(account::save_settings)),
    get("/account/password", AGENT, |r| r.to(passwords::own_form)),
    post("/account/password", AGENT, |r| r.to(passwords::change_own)),
    get("/account/two-factor", AGENT, |r| r.to(two_factor::setup)),
    post("/account/two-factor", AGENT, |r| r.to(two_factor::confirm)),
    post("/account/two-factor/off", AGENT, |r| {
        r.to(two_factor::turn_off)
    }),
    post("/account/passkeys/options", AGENT, |r| {
        r.to(passkeys::registration_options)
    }),
    post("/account/passkeys", AGENT, |r| r.to(passkeys::register)),
    post("/account/passkeys/{id}/remove", AGENT, |r| {
        r.to(passkeys::remove)
    }),
    post("/account/sessions/end", AGENT, |r| {
        r.to(account::sessions::end)
    }),
    post("/account/sessions/end-others", AGENT, |r| {
        r.to(account::sessions::end_others)
    }),
    post("/account/notifications", AGENT, |r| {
        r.to(notifications::save_preferences)
    }),
    get("/notifications", AGENT, |r| r.to(notifications::list)),
    post("/notifications/read-all", AGENT, |r| {
        r.to(notifications::mark_all_read)
    }),
    post("/notifications/{id}/read", AGENT, |r| {
        r.to(notifications::mark_read)
    }),
    get("/complaints", AGENT, |r| r.to(complaints::queue::list)),
    get("/complaints/new", AGENT, |r| r.to(complaints::new_form)),
    post("/complaints/new", AGENT, |r| r.to(complaints::create)),
    post("/complaints/bulk", AGENT, |r| r.to(complaints::bulk::bulk)),
    get("/complaints/{reference}", AGENT, |r| r.to(complaints::show)),
    post("/complaints/{reference}/sla/cause", AGENT, |r| {
        r.to(complaints::record_cause)
    }),
    post("/complaints/{reference}/reply", AGENT, |r| {
        r.to(complaints::conversation::reply)
    }),
    post("/complaints/{reference}/note", AGENT, |r| {
        r.to(complaints::conversation::note)
    }),
    get("/complaints/{reference}/emails/{id}", AGENT, |r| {
        r.to(complaints::emails::show)
    }),
    get("/complaints/{reference}/emails/{id}/html", AGENT, |r| {
        r.to(complaints::emails::html)
    }),
    post("/complaints/{reference}/{action}", AGENT, |r| {
        r.to(complaints::act)
    }),
    // A refused action's page was answered at the action's address; reloading it (a GET)
    // goes back to the complaint.
    get("/complaints/{reference}/{action}", AGENT, |r| {
        r.to(|path: web::Path<(String, String)>| async move {
            see_other(&format!("/complaints/{}", path.0))
        })
    }),
    get("/emails/{id}", AGENT, |r| r.to(emails::original)),
    get("/files/{id}", AGENT, |r| r.to(emails::file)),
    get("/companies", AGENT, |r| r.to(companies::list)),
    post("/companies", AGENT, |r| r.to(companies::create)),
    get("/companies/key-accounts", AGENT, |r| {
        r.to(key_accounts::list)
    }),
    get("/companies/{id}", AGENT, |r| r.to(companies::show)),
    post("/companies/{id}/meetings", AGENT, |r| {
        r.to(key_accounts::record)
    }),
    post("/companies/{id}/owner", MANAGER, |r| {
        r.to(key_accounts::set_owner)
    }),
    post("/companies/{id}", AGENT, |r| r.to(companies::update)),
    get("/customers/{id}", AGENT, |r| r.to(customers::contact)),
    post("/customers/{id}", AGENT, |r| {
        r.to(customers::update_contact)
    }),
    get("/tags", AGENT, |r| r.to(tags::list)),
    post("/tags/rename", ADMIN, |r| r.to(tags::rename)),
    get("/categories", AGENT, |r| r.to(categories::list)),
    post("/categories", ADMIN, |r| r.to(categories::create)),
    post("/categories/map", ADMIN, |r| r.to(categories::map)),
    post("/categories/{code}", ADMIN, |r| r.to(categories::update)),
    get("/causes", AGENT, |r| r.to(causes::list)),
    post("/causes", ADMIN, |r| r.to(causes::create)),
    // Before `/causes/{code}`: "actions" is no cause.
    get("/causes/actions", MANAGER, |r| {
        r.to(corrective_actions::list)
    }),
    post("/causes/actions", MANAGER, |r| {
        r.to(corrective_actions::open)
    }),
    post("/causes/actions/{id}/done", MANAGER, |r| {
        r.to(corrective_actions::done)
    }),
    post("/causes/{code}", ADMIN, |r| r.to(causes::update)),
    get("/teams", AGENT, |r| r.to(teams::list)),
    post("/teams", ADMIN, |r| r.to(teams::create)),
    get("/teams/{id}", ADMIN, |r| r.to(teams::edit)),
    post("/teams/{id}", ADMIN, |r| r.to(teams::save)),
    post("/teams/{id}/default", ADMIN, |r| r.to(teams::make_default)),
    post("/routing-rules", ADMIN, |r| r.to(teams::add_rule)),
    post("/routing-rules/change", ADMIN, |r| r.to(teams::change_rule)),
    post("/account/away", AGENT, |r| r.to(teams::set_away)),
    get("/sla", AGENT, |r| r.to(sla::dashboard)),
    get("/sla/rules", AGENT, |r| r.to(sla_policy::rules)),
    get("/reports", MANAGER, |r| r.to(reports::overview)),
    get("/reports/feedback", MANAGER, |r| r.to(reports::feedback)),
    get("/reports/customers", MANAGER, |r| r.to(reports::customers)),
    get("/reports/fca", MANAGER, |r| r.to(reports::fca)),
    get("/reports/causes", MANAGER, |r| r.to(reports::causes)),
    get("/reports/loyalty", MANAGER, |r| r.to(reports::loyalty)),
    get("/customers/{id}/export", ADMIN, |r| {
        r.to(customers::erasure::export)
    }),
    get("/customers/{id}/erase", ADMIN, |r| {
        r.to(customers::erasure::erase_page)
    }),
    post("/customers/{id}/erase", ADMIN, |r| {
        r.to(customers::erasure::erase)
    }),
    get("/admin/users", ADMIN, |r| r.to(users::users)),
    post("/admin/users", ADMIN, |r| r.to(users::create)),
    post("/admin/users/{id}/role", ADMIN, |r| {
        r.to(users::change_role)
    }),
    post("/admin/users/{id}/active", ADMIN, |r| {
        r.to(users::set_active)
    }),
    post("/admin/users/{id}/two-factor/reset", ADMIN, |r| {
        r.to(two_factor::reset)
    }),
    post("/admin/users/{id}/passkeys/remove", ADMIN, |r| {
        r.to(users::remove_passkeys)
    }),
    post("/admin/users/{id}/sso-only", ADMIN, |r| {
        r.to(users::set_sso_only)
    }),
    post("/admin/two-factor-roles", ADMIN, |r| {
        r.to(two_factor::roles)
    }),
    get("/admin/users/{id}/password", ADMIN, |r| {
        r.to(passwords::reset_form)
    }),
    post("/admin/users/{id}/password", ADMIN, |r| {
        r.to(passwords::reset)
    }),
    post("/admin/users/{id}/sessions/end", ADMIN, |r| {
        r.to(account::sessions::end_all)
    }),
    get("/admin/api-tokens", ADMIN, |r| r.to(api_tokens::page)),
    post("/admin/api-tokens", ADMIN, |r| r.to(api_tokens::create)),
    get("/admin/webhooks", ADMIN, |r| r.to(webhooks::page)),
    post("/admin/webhooks", ADMIN, |r| r.to(webhooks::create)),
    get("/admin/webhooks/{id}", ADMIN, |r| r.to(webhooks::log)),
    post("/admin/webhooks/{id}/active", ADMIN, |r| {
        r.to(webhooks::set_active)
    }),
    post("/admin/webhooks/deliveries/{id}/resend", ADMIN, |r| {
        r.to(webhooks::resend)
    }),
    post("/admin/api-tokens/{id}/revoke", ADMIN, |r| {
        r.to(api_tokens::revoke)
    }),
    get("/admin/sla", ADMIN, |r| r.to(sla_policy::policy)),
    post("/admin/sla", ADMIN, |r| r.to(sla_policy::save_policy)),
    get("/admin/saved-replies", ADMIN, |r| r.to(saved_replies::page)),
    post("/admin/saved-replies", ADMIN, |r| r.to(saved_replies::save)),
    post("/admin/saved-replies/{id}/archive", ADMIN, |r| {
        r.to(saved_replies::archive)
    }),
    get("/admin/mail", ADMIN, |r| r.to(mail::page)),
    post("/admin/mail/{id}/retry", ADMIN, |r| r.to(mail::retry)),
    get("/admin/intake", ADMIN, |r| r.to(intake::page)),
    post("/admin/intake/{id}/dismiss", ADMIN, |r| {
        r.to(intake::dismiss)
    }),
    get("/admin/audit", ADMIN, |r| r.to(audit::page)),
    get("/admin/retention", ADMIN, |r| r.to(retention::page)),
    get("/admin/surveys", ADMIN, |r| r.to(survey_rules::page)),
    post("/admin/surveys", ADMIN, |r| r.to(survey_rules::save)),
    post("/admin/retention", ADMIN, |r| r.to(retention::run)),
];

/// The prefix of the JSON API, whose routes share its settings and its JSON not-found.
const API: &str = "/api";

/// The routes of the operations listener (`redress serve` as workers only): health and metrics.
const OPS: &[&str] = &["/healthz", "/metrics"];

/// The rule for a request's method and matched route, if there is one.
pub fn find(method: &str, pattern: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.path == pattern)
}

fn actix(route: &Route) -> actix_web::Route {
    let method = match route.method {
        "POST" => Method::POST,
        _ => Method::GET,
    };
    (route.handler)(web::method(method))
}

/// Registers every route of [`ROUTES`].
pub fn all(config: &mut web::ServiceConfig) {
    let mut api = web::scope(API)
        .app_data(api::json_config())
        .app_data(api::query_config());
    for route in ROUTES {
        match route.path.strip_prefix(API) {
            Some(rest) if rest.starts_with('/') => api = api.route(rest, actix(route)),
            _ => {
                config.route(route.path, actix(route));
            }
        }
    }
    config.service(api.default_service(web::to(|| async {
        Err::<HttpResponse, _>(api::ApiError::not_found(
            "There is no such API address; see /api/openapi.json.",
        ))
    })));
}

/// Registers the routes of the operations listener only.
pub fn ops(config: &mut web::ServiceConfig) {
    for route in ROUTES.iter().filter(|r| OPS.contains(&r.path)) {
        config.route(route.path, actix(route));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_and_pattern_is_in_the_table_once() {
        let mut seen = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(
                seen.insert((route.method, route.path)),
                "{route:?} is in the table twice"
            );
            assert!(
                matches!(route.method, "GET" | "POST"),
                "{route:?}: only GET and POST are served"
            );
        }
    }

    #[test]
    fn the_operations_listener_serves_only_anonymous_routes() {
        for path in OPS {
            let route = find("GET", path).expect("an ops route is in the table");
            assert_eq!(route.access, Access::Anyone);
        }
    }
}
