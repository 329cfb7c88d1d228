//! What every signed-in page shows around its own view: who is signed in, their unread
//! notifications and time zone, and the tokens its forms carry. A page's own view is a typed
//! struct ([`Page<V>`]); its template reads both as one context.

use actix_session::Session;
use actix_web::HttpResponse;
use redress_store::StaffAccount;
use serde::Serialize;

use crate::auth::{CurrentStaff, csrf_token};
use crate::error::AppError;
use crate::{AppState, render, viewer_zone};

/// The layout's part of a signed-in page.
#[derive(Debug, Serialize)]
pub(crate) struct Layout {
    /// Who is signed in.
    staff: StaffAccount,
    /// Their unread notifications (the bell in the header).
    unread: i64,
    /// The time zone they read times in.
    tz: &'static str,
    /// The session's CSRF token, for every form on the page.
    csrf: String,
    /// A fresh single-use token, so a form sent twice acts once.
    form_token: String,
    /// The language they read Redress in (a code), for `t(key=…, lang=lang)` and `<html lang>`.
    lang: &'static str,
}

impl Layout {
    /// The layout for `staff` over `session` (creating its CSRF token on first use).
    pub(crate) fn new(staff: &CurrentStaff, session: &Session) -> Result<Self, AppError> {
        Ok(Self {
            staff: staff.0.clone(),
            unread: staff.1,
            tz: viewer_zone(staff).name(),
            csrf: csrf_token(session)?,
            form_token: redress_store::FormTokens::issue(),
            lang: staff.language().code(),
        })
    }
}

/// A signed-in page: the layout and the page's own view `V`, side by side in one context.
#[derive(Debug, Serialize)]
pub(crate) struct Page<V> {
    #[serde(flatten)]
    layout: Layout,
    #[serde(flatten)]
    view: V,
}

impl<V: Serialize> Page<V> {
    /// `view` in the layout of `staff`'s page.
    pub(crate) fn new(staff: &CurrentStaff, session: &Session, view: V) -> Result<Self, AppError> {
        Ok(Self {
            layout: Layout::new(staff, session)?,
            view,
        })
    }

    /// The page rendered from `template`, answered with `status`.
    pub(crate) fn render(
        &self,
        state: &AppState,
        template: &str,
        status: u16,
    ) -> Result<HttpResponse, AppError> {
        let context = tera::Context::from_serialize(self)?;
        render(state, template, &context, status)
    }
}
