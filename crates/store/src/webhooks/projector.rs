//! The `webhooks` projector: a delivery for each switched-on endpoint that wants an event,
//! in the runtime's transaction.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use redress_domain::Clock;
use uuid::Uuid;

use crate::db::Tx;
use crate::event_log::StoredEvent;
use crate::projection::{Projector, Wake};
use crate::vault::KeyRing;
use crate::{StoreError, on_db};

/// The projector that queues deliveries.
pub struct WebhookProjector {
    clock: Arc<dyn Clock>,
}

impl WebhookProjector {
    /// Its name.
    pub const NAME: &'static str = "webhooks";

    /// How old an event may be when first seen and still be delivered (as for email: demo
    /// data, an import, a projector down for days tell other systems nothing late).
    pub const MAX_AGE: Duration = Duration::days(3);

    /// Queues deliveries of events no older than [`Self::MAX_AGE`] by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

#[derive(sqlx::FromRow)]
struct Wanting {
    id: Uuid,
    kinds: String,
    starts_after: i64,
}

#[async_trait]
impl Projector for WebhookProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    /// None: deliveries are what was sent and survive a rebuild, and the replay adds nothing
    /// (their ids are derived from the endpoint and the event, and an endpoint hears only of
    /// events after it was registered).
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn wakes(&self) -> &'static [Wake] {
        &[Wake::WebhookSender]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        event: &StoredEvent,
    ) -> Result<(), StoreError> {
        self.apply_batch(tx, keys, std::slice::from_ref(event))
            .await
    }

    async fn apply_batch(
        &self,
        tx: &mut Tx,
        _keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let endpoints: Vec<Wanting> = on_db!(tx, |q| sqlx::query_as(
            "SELECT id, kinds, starts_after FROM webhook_endpoints WHERE active"
        )
        .fetch_all(q)
        .await)?;
        if endpoints.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        for stored in events {
            let at = stored.event.occurred_at;
            if now - at > Self::MAX_AGE || crate::imports::imported(&stored.event) {
                continue;
            }
            let kind = stored.event.change.name();
            for endpoint in &endpoints {
                let wanted =
                    endpoint.kinds == "*" || endpoint.kinds.split_whitespace().any(|k| k == kind);
                if !wanted || stored.checkpoint.position <= endpoint.starts_after {
                    continue;
                }
                let id = format!("{}:{}:{}", endpoint.id, stored.reference, stored.sequence);
                on_db!(tx, |q| sqlx::query(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, position, reference,
                                                     sequence, kind, next_attempt_at,
                                                     event_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)
                     ON CONFLICT (id) DO NOTHING"
                )
                .bind(&id)
                .bind(endpoint.id)
                .bind(stored.checkpoint.position)
                .bind(stored.reference.as_str())
                .bind(stored.sequence)
                .bind(kind)
                .bind(now)
                .bind(at)
                .execute(q)
                .await
                .map(|r| r.rows_affected()))?;
            }
        }
        Ok(())
    }
}
