//! A sign-in whose password was right, waiting in this browser (the signed, encrypted session
//! cookie) for its second factor (`crate::two_factor`), for a few minutes.

use actix_session::Session;
use chrono::Duration;
use redress_store::StaffAccount;
use serde::Deserialize;

use crate::error::AppError;

/// Where a sign-in waiting for its second factor is kept (in the signed, encrypted cookie).
pub(crate) const PENDING_KEY: &str = "pending_second_factor";
/// How long a right password waits for its code.
const PENDING_MINUTES: i64 = 5;

/// A sign-in whose password was right, waiting for the second factor.
#[derive(Debug, serde::Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) account: uuid::Uuid,
    pub(crate) next: String,
    pub(crate) at: chrono::DateTime<chrono::Utc>,
}

/// Remembers, in this browser, that `account` gave the right password and must now give a
/// code.
pub(crate) fn ask_for_code(
    session: &Session,
    account: &StaffAccount,
    next: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    session.renew();
    session
        .insert(
            PENDING_KEY,
            Pending {
                account: account.id,
                next: next.to_string(),
                at: now,
            },
        )
        .map_err(AppError::session)
}

/// The sign-in waiting in this browser, unless it waited too long.
pub(crate) fn pending(session: &Session, now: chrono::DateTime<chrono::Utc>) -> Option<Pending> {
    session
        .get::<Pending>(PENDING_KEY)
        .ok()
        .flatten()
        .filter(|p| now - p.at <= Duration::minutes(PENDING_MINUTES))
}
