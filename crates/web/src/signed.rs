//! The request of a signed-in member of staff, as a handler takes it: who they are, their
//! session, and (for a posted form) the form, already checked against the session's CSRF
//! token. A handler that takes a [`Signed`] cannot forget who is asking or the check.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::{CsrfProtected, CurrentStaff, check_csrf};
use crate::error::AppError;
use crate::page::Page;

/// A request from a signed-in member of staff, with the form `F` it posted (`()` for a page
/// or a form without fields of its own). Extracting it without a live session sends the
/// visitor to sign in; a posted form whose CSRF token is not the session's is refused (403)
/// before the handler runs. Forms are read as `web::Form` reads them (its size limit and
/// errors).
pub struct Signed<F = ()> {
    /// Who is signed in, and their unread notifications.
    pub staff: CurrentStaff,
    /// Their session (the CSRF token pages carry).
    pub session: Session,
    /// The form, checked.
    pub form: F,
}

impl<F> Signed<F> {
    /// `view` inside the layout every signed-in page shares.
    pub(crate) fn page<V: Serialize>(&self, view: V) -> Result<Page<V>, AppError> {
        Page::new(&self.staff, &self.session, view)
    }
}

impl FromRequest for Signed<()> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = request.get_session();
        let staff = CurrentStaff::from_request(request, payload);
        Box::pin(async move {
            Ok(Signed {
                staff: staff.await?,
                session,
                form: (),
            })
        })
    }
}

impl<F: DeserializeOwned + CsrfProtected + 'static> FromRequest for Signed<F> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = request.get_session();
        let staff = CurrentStaff::from_request(request, payload);
        let form = web::Form::<F>::from_request(request, payload);
        Box::pin(async move {
            // Who first: a visitor without a session is sent to sign in, not told of a form.
            let staff = staff.await?;
            let form = form.await?.into_inner();
            check_csrf(&session, form.csrf())?;
            Ok(Signed {
                staff,
                session,
                form,
            })
        })
    }
}
