//! Periodic surveys: "If you ran this company and wanted more customers and more business,
//! what would you change?", asked of every contact now and then (the method: only one unhappy
//! customer in ten complains), and of key accounts' major contacts more often.
//!
//! A wave ([`Surveys::schedule`], in `wave`) picks the contacts the rules choose and queues
//! one invitation each through the outbox, spread over time so it never floods the outbox or
//! the SMTP server. The invitation's link is signed ([`Surveys::token`]: no account needed)
//! and opens one invitation, answered once. Every email carries a link that stops these
//! surveys for good, honoured at once: an invitation not yet sent is then not sent.
//!
//! The answer's words are sealed with the customer's key: erasing the customer leaves nothing
//! readable (and [`Surveys::forget_customer`] blanks them too).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use redress_domain::{CustomerId, Sealed};
use serde::Serialize;
use sha2::Sha256;
use uuid::Uuid;

use crate::db::Database;
use crate::vault::KeyVault;
use crate::{StoreError, on_pool};

mod rules;
mod wave;

pub use rules::*;
pub use wave::*;

/// The outbox id of invitation `id`'s email.
pub fn email_id(id: Uuid) -> String {
    format!("survey.{id}")
}

/// The invitation an outbox id names.
pub fn invitation_of(email_id: &str) -> Option<Uuid> {
    Uuid::try_parse(email_id.strip_prefix("survey.")?).ok()
}

/// How long an invitation's link stays open.
pub const ANSWER_WITHIN: Duration = Duration::days(60);
/// Longest answer.
pub const MAX_WORDS: usize = 5_000;

/// One invitation, as its page and its email need it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invitation {
    /// Its id.
    pub id: Uuid,
    /// Whom it asks.
    pub customer_id: Uuid,
    /// For which company, if any.
    pub company: Option<String>,
    /// In which language.
    pub language: String,
    /// When it was planned.
    pub asked_at: DateTime<Utc>,
    /// When its email goes.
    pub send_at: DateTime<Utc>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// The score given, 1 to 5.
    pub score: Option<i64>,
}

/// An answer, as the feedback report and the files list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyAnswer {
    /// The invitation.
    pub id: Uuid,
    /// Who answered.
    pub customer_id: Uuid,
    /// When it was answered.
    pub answered_at: DateTime<Utc>,
    /// The company, if any.
    pub company: Option<String>,
    /// The score, 1 to 5.
    pub score: i64,
    /// What they would change (none: erased, or nothing said).
    pub would_change: Option<String>,
    /// Whether they asked to be contacted (their words are a complaint).
    pub wants_contact: bool,
}

/// Why an answer was not taken.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// The invitation was answered already.
    #[error("This survey was answered already; thank you.")]
    Answered,
    /// The link is too old.
    #[error("This survey has closed.")]
    Closed,
    /// The customer was erased or asked not to be surveyed.
    #[error("This survey is no longer open.")]
    Gone,
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The most answers a contact's or company's file lists (newest first).
pub const FILE_LIMIT: i64 = 100;

/// The columns of an answer, as [`AnswerRow`] reads them.
const ANSWER_COLUMNS: &str =
    "SELECT id, customer_id, answered_at, company, score, would_change, wants_contact
       FROM survey_invitations";

/// An answer's row: id, customer, answered at, company, score, sealed words, wants contact.
type AnswerRow = (
    Uuid,
    Uuid,
    DateTime<Utc>,
    Option<String>,
    i64,
    Option<String>,
    bool,
);

fn invitation_of_row(
    (id, customer_id, company, language, asked_at, send_at, answered_at, score): InvitationRow,
) -> Invitation {
    Invitation {
        id,
        customer_id,
        company,
        language,
        asked_at,
        send_at,
        answered_at,
        score,
    }
}

/// Periodic surveys.
#[derive(Clone)]
pub struct Surveys {
    db: Database,
    vault: KeyVault,
    key: Vec<u8>,
}

type InvitationRow = (
    Uuid,
    Uuid,
    Option<String>,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<i64>,
);

impl Surveys {
    /// Over `db`, sealing answers with `vault`'s keys and signing links with `key`.
    pub fn new(db: Database, vault: KeyVault, key: Vec<u8>) -> Self {
        Self { db, vault, key }
    }

    fn signature(&self, id: Uuid) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(format!("survey:{id}").as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The token of the link to invitation `id` (and to stop the surveys).
    pub fn token(&self, id: Uuid) -> String {
        format!("{}.{}", id.simple(), self.signature(id))
    }

    /// The invitation a token names, if it is one of ours exactly as issued.
    pub fn open_token(&self, token: &str) -> Option<Uuid> {
        let (id, signature) = token.split_once('.')?;
        let id = Uuid::try_parse(id).ok()?;
        let expected = self.signature(id);
        let same = expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        (same && token == self.token(id)).then_some(id)
    }

    /// The invitations of the wave scheduled at `asked_at`, in the order their emails go.
    pub async fn wave(&self, asked_at: DateTime<Utc>) -> Result<Vec<Invitation>, StoreError> {
        let rows: Vec<InvitationRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, customer_id, company, language, asked_at, send_at, answered_at, score
               FROM survey_invitations WHERE asked_at = $1 ORDER BY send_at, id"
        )
        .bind(asked_at)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(invitation_of_row).collect())
    }

    /// One invitation.
    pub async fn invitation(&self, id: Uuid) -> Result<Option<Invitation>, StoreError> {
        let row: Option<InvitationRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, customer_id, company, language, asked_at, send_at, answered_at, score
               FROM survey_invitations WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(invitation_of_row))
    }

    /// Whether `customer` asked never to be surveyed.
    pub async fn opted_out(&self, customer: Uuid) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM survey_opt_outs WHERE customer_id = $1"
        )
        .bind(customer)
        .fetch_one(pool)
        .await)?;
        Ok(n > 0)
    }

    /// Stops the surveys of `customer` for good, at once: their invitations not yet sent are
    /// cancelled. Returns whether they had not stopped them before.
    pub async fn stop(&self, customer: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let new = on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO survey_opt_outs (customer_id, at) VALUES ($1, $2)
             ON CONFLICT (customer_id) DO NOTHING"
        )
        .bind(customer)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        crate::outbox::Outbox::new(self.db.clone())
            .cancel_surveys_of(CustomerId(customer))
            .await?;
        Ok(new == 1)
    }

    /// Records the answer to invitation `id` at `now`: a score of 1 to 5, what they would
    /// change (sealed with their key), and whether they ask to be contacted. Once only.
    pub async fn answer(
        &self,
        id: Uuid,
        score: u8,
        would_change: &str,
        wants_contact: bool,
        now: DateTime<Utc>,
    ) -> Result<Invitation, AnswerError> {
        let invitation = self.invitation(id).await?.ok_or(AnswerError::Gone)?;
        if invitation.answered_at.is_some() {
            return Err(AnswerError::Answered);
        }
        if now - invitation.asked_at > ANSWER_WITHIN {
            return Err(AnswerError::Closed);
        }
        if !(1..=5).contains(&score) {
            return Err(AnswerError::Invalid("Choose a score from 1 to 5.".into()));
        }
        let words = would_change.trim();
        if words.chars().count() > MAX_WORDS {
            return Err(AnswerError::Invalid(format!(
                "Your answer is too long: at most {MAX_WORDS} characters."
            )));
        }
        if words
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(AnswerError::Invalid(
                "Your answer contains control characters; remove them.".into(),
            ));
        }
        let customer = CustomerId(invitation.customer_id);
        let Some(key) = self.vault.key(customer).await? else {
            return Err(AnswerError::Gone);
        };
        let sealed = (!words.is_empty()).then(|| key.seal(customer, words).0);
        let updated = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE survey_invitations SET answered_at = $1, score = $2, would_change = $3,
                    wants_contact = $4
              WHERE id = $5 AND answered_at IS NULL"
        )
        .bind(now)
        .bind(i64::from(score))
        .bind(sealed)
        .bind(wants_contact)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from)?;
        if updated == 0 {
            return Err(AnswerError::Answered);
        }
        Ok(Invitation {
            answered_at: Some(now),
            score: Some(i64::from(score)),
            ..invitation
        })
    }

    /// The answers given in `[from, to)`, newest first, their words opened.
    pub async fn answers(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SurveyAnswer>, StoreError> {
        let rows: Vec<AnswerRow> = on_pool!(&self.db, |pool| sqlx::query_as(&format!(
            "{ANSWER_COLUMNS} WHERE answered_at >= $1 AND answered_at < $2
              ORDER BY answered_at DESC"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?;
        self.opened(rows).await
    }

    /// One contact's answers for their file, newest first (at most [`FILE_LIMIT`]).
    pub async fn answers_of_customer(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<SurveyAnswer>, StoreError> {
        let rows: Vec<AnswerRow> = on_pool!(&self.db, |pool| sqlx::query_as(&format!(
            "{ANSWER_COLUMNS} WHERE customer_id = $1 AND answered_at IS NOT NULL
              ORDER BY answered_at DESC LIMIT {FILE_LIMIT}"
        ))
        .bind(customer.0)
        .fetch_all(pool)
        .await)?;
        self.opened(rows).await
    }

    /// The answers of a company's contacts for its file (the company named as the invitation
    /// named it), newest first (at most [`FILE_LIMIT`]).
    pub async fn answers_of_company(&self, name: &str) -> Result<Vec<SurveyAnswer>, StoreError> {
        let rows: Vec<AnswerRow> = on_pool!(&self.db, |pool| sqlx::query_as(&format!(
            "{ANSWER_COLUMNS} WHERE company = $1 AND answered_at IS NOT NULL
              ORDER BY answered_at DESC LIMIT {FILE_LIMIT}"
        ))
        .bind(name)
        .fetch_all(pool)
        .await)?;
        self.opened(rows).await
    }

    /// `rows` with their words opened by each customer's key (none once erased).
    async fn opened(&self, rows: Vec<AnswerRow>) -> Result<Vec<SurveyAnswer>, StoreError> {
        let mut out = Vec::with_capacity(rows.len());
        for (id, customer, answered_at, company, score, sealed, wants_contact) in rows {
            let would_change = match sealed {
                Some(sealed) => self
                    .vault
                    .open_value(CustomerId(customer), &Sealed(sealed))
                    .await?
                    .ok(),
                None => None,
            };
            out.push(SurveyAnswer {
                id,
                customer_id: customer,
                answered_at,
                company,
                score,
                would_change,
                wants_contact,
            });
        }
        Ok(out)
    }

    /// The name and address to send invitation `id`'s email to: the customer's, from their
    /// latest complaint; none once erased or when they stopped the surveys.
    pub async fn recipient(&self, customer: Uuid) -> Result<Option<(String, String)>, StoreError> {
        if self.opted_out(customer).await? {
            return Ok(None);
        }
        let row: Option<(Option<String>, Option<String>, bool)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT customer_name, customer_email, personal_data_erased FROM complaint_list
                  WHERE customer_id = $1 ORDER BY received_at DESC LIMIT 1"
            )
            .bind(customer)
            .fetch_optional(pool)
            .await)?;
        Ok(match row {
            Some((Some(name), Some(email), false)) => Some((name, email)),
            _ => None,
        })
    }

    /// Blanks the words of `customer`'s answers (erasure; their key goes too).
    pub async fn forget_customer(&self, customer: CustomerId) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE survey_invitations SET would_change = NULL WHERE customer_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
