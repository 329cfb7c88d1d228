//! The messages no event owes, queued by what asks for them: a fresh status link the
//! customer asked for, SLA alerts (in the SLA projector's transaction), digests and password
//! reset links to staff. Each goes in through [`INSERT_PENDING`], under an id that makes a
//! second request for the same message a no-op where it must be one.

use super::*;

impl Outbox {
    /// Queues an email with a fresh status link, which the customer asked for at `now`. Its
    /// id carries the time of the request: each request is its own message.
    pub async fn enqueue_link(
        &self,
        reference: &Reference,
        customer: CustomerId,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let id = format!(
            "{}.0.{}.{}",
            reference.as_str(),
            EmailKind::StatusLink.code(),
            now.timestamp_micros()
        );
        on_pool!(&self.db, |pool| sqlx::query(INSERT_PENDING)
            .bind(&id)
            .bind(reference.as_str())
            .bind(EmailKind::StatusLink.code())
            .bind(customer.0)
            .bind(language)
            .bind(now)
            .bind(now)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Queues an alert to staff (an SLA clock at risk or breached) in `tx`, to go out at
    /// `send_at` (within business hours). Its id is derived from the clock's run, so a restart
    /// or a rebuild never queues it twice.
    #[expect(
        clippy::too_many_arguments,
        reason = "each argument is a different thing the caller holds; a struct for one call would only rename them"
    )]
    pub(crate) async fn enqueue_staff_alert(
        tx: &mut Tx,
        id: &str,
        reference: &str,
        kind: EmailKind,
        recipient: Uuid,
        send_at: DateTime<Utc>,
        happened_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_db!(tx, |q| sqlx::query(INSERT_PENDING)
            .bind(id)
            .bind(reference)
            .bind(kind.code())
            .bind(recipient)
            .bind("en")
            .bind(send_at)
            .bind(happened_at)
            .bind(now)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Queues the digest `id` for `staff`, to go at once. Returns whether it was new (a digest
    /// already queued under the same id is left alone).
    pub(crate) async fn enqueue_digest(
        db: &Database,
        id: &str,
        staff: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Self::enqueue_to_staff(db, id, EmailKind::Digest, staff, now).await
    }

    /// Queues the email carrying password reset `id` (its outbox id) to `staff`, to go at once.
    pub(crate) async fn enqueue_password_reset(
        db: &Database,
        id: &str,
        staff: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Self::enqueue_to_staff(db, id, EmailKind::PasswordReset, staff, now)
            .await
            .map(|_| ())
    }

    /// Queues the email telling admin `staff` that a webhook endpoint was switched off (`id`
    /// names the endpoint: see [`crate::webhooks::switched_off_id`]), to go at once.
    pub(crate) async fn enqueue_webhook_off(
        db: &Database,
        id: &str,
        staff: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Self::enqueue_to_staff(db, id, EmailKind::WebhookSwitchedOff, staff, now)
            .await
            .map(|_| ())
    }

    /// Queues the reminder `id` to an account's owner `staff` that a meeting with a key
    /// account is due (the id names the company and the day: one reminder each); whether it
    /// was new.
    pub async fn enqueue_meeting_due(
        &self,
        id: &str,
        staff: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Self::enqueue_to_staff(&self.db, id, EmailKind::MeetingDue, staff, now).await
    }

    /// Queues, in `tx`, the email `id` of a survey invitation to `customer` in `language`, to
    /// go at `send_at` (a wave is spread over time).
    pub(crate) async fn enqueue_survey(
        tx: &mut crate::db::Tx,
        id: &str,
        customer: Uuid,
        language: &str,
        send_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_db!(tx, |q| sqlx::query(INSERT_PENDING)
            .bind(id)
            .bind("")
            .bind(EmailKind::SurveyInvitation.code())
            .bind(customer)
            .bind(language)
            .bind(send_at)
            .bind(now)
            .bind(now)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Cancels the survey invitations to `customer` not yet sent (they stopped the surveys).
    pub async fn cancel_surveys_of(&self, customer: CustomerId) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE outbox SET state = 'cancelled',
                    last_error = 'The customer stopped the surveys.', claimed_until = NULL
              WHERE kind = $1 AND customer_id = $2 AND state IN ('pending', 'failed')"
        )
        .bind(EmailKind::SurveyInvitation.code())
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Queues message `id` of `kind` to `staff` (about no complaint), to go at once; whether
    /// it was new.
    async fn enqueue_to_staff(
        db: &Database,
        id: &str,
        kind: EmailKind,
        staff: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = on_pool!(db, |pool| sqlx::query(INSERT_PENDING)
            .bind(id)
            .bind("")
            .bind(kind.code())
            .bind(staff)
            .bind("en")
            .bind(now)
            .bind(now)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(inserted == 1)
    }
}
