//! The `outbox` projector: the row for each email an event owes, and who the complaint's
//! customer is (for erasure), in the runtime's transaction.

use super::*;

/// The projector that fills the outbox.
pub struct OutboxProjector {
    clock: Arc<dyn Clock>,
    policy: Arc<dyn MailPolicy>,
    max_age: Duration,
}

impl OutboxProjector {
    /// Its name.
    pub const NAME: &'static str = "outbox";

    /// How old an event may be when the outbox first sees it and still get its email.
    pub const MAX_AGE: Duration = Duration::days(3);

    /// An event already older than [`Self::MAX_AGE`] by `clock` when first projected (demo
    /// data, an import, a projector that was down for days) owes no email: a late one would
    /// confuse more than it tells. Which email an event owes, under which id, `policy` says.
    pub fn new(clock: Arc<dyn Clock>, policy: Arc<dyn MailPolicy>) -> Self {
        Self {
            clock,
            policy,
            max_age: Self::MAX_AGE,
        }
    }
}

#[async_trait]
impl Projector for OutboxProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    /// Only the recipients: outbox rows survive a rebuild (they are what was sent), and the
    /// replay adds nothing because message ids are derived from the events.
    fn tables(&self) -> &'static [&'static str] {
        &["outbox_recipients"]
    }

    fn wakes(&self) -> &'static [Wake] {
        &[Wake::MailSender]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        _keys: &mut KeyRing,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        let reference = stored.reference.as_str();
        let change = &stored.event.change;
        if let ComplaintChange::ComplaintReceived {
            customer, language, ..
        } = change
        {
            on_db!(tx, |q| sqlx::query(
                "INSERT INTO outbox_recipients (reference, customer_id, language)
                 VALUES ($1, $2, $3) ON CONFLICT (reference) DO NOTHING"
            )
            .bind(reference)
            .bind(customer.id.0)
            .bind(language.code())
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        }
        if let ComplaintChange::PersonalDataErased { .. } = change {
            on_db!(tx, |q| sqlx::query(
                "UPDATE outbox_recipients SET erased = TRUE WHERE reference = $1"
            )
            .bind(reference)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
            on_db!(tx, |q| sqlx::query(
                "UPDATE outbox SET state = 'cancelled',
                        last_error = 'The customer''s personal data was erased.'
                  WHERE reference = $1 AND state = 'pending'"
            )
            .bind(reference)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
            return Ok(());
        }
        if crate::imports::imported(&stored.event) {
            // History brought from another help desk: its customers were told there.
            return Ok(());
        }
        let Some((id, kind)) = self.policy.owed(reference, stored.sequence, change) else {
            return Ok(());
        };
        let now = self.clock.now();
        let at = stored.event.occurred_at;
        if now - at > self.max_age {
            // Too old to tell the customer now (and a rebuild must not re-send history).
            return Ok(());
        }
        let recipient: Option<(Uuid, String, bool)> = on_db!(tx, |q| sqlx::query_as(
            "SELECT customer_id, language, erased FROM outbox_recipients WHERE reference = $1"
        )
        .bind(reference)
        .fetch_optional(q)
        .await)?;
        let Some((customer_id, language, erased)) = recipient else {
            return Err(StoreError::Corrupt(format!(
                "event {reference}#{} arrived before its complaint was received",
                stored.sequence
            )));
        };
        let (state, note) = if erased {
            (
                "cancelled",
                Some("The customer's personal data was erased."),
            )
        } else {
            ("pending", None)
        };
        on_db!(tx, |q| sqlx::query(
            "INSERT INTO outbox (id, reference, sequence, kind, customer_id, language,
                                 state, next_attempt_at, last_error, event_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8)
             ON CONFLICT (id) DO NOTHING"
        )
        .bind(id)
        .bind(reference)
        .bind(stored.sequence)
        .bind(kind.code())
        .bind(customer_id)
        .bind(&language)
        .bind(state)
        .bind(now)
        .bind(note)
        .bind(at)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
