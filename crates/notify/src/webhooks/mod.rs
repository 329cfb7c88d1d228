//! The webhook sender: claims due deliveries, renders each payload from its complaint's
//! events, signs it ([`signature`]) and POSTs it, and records the answer. A failure (no
//! answer, or anything but 2xx) is tried again after a growing pause; an endpoint that fails
//! [`WebhookSettings::max_failures`] times in a row is switched off, which is audited and
//! logged for the admins, and what waits for it is sent, in order, once an admin switches it
//! back on. A delivery is sent at least once; the only duplicate possible is the one in
//! flight when a sender dies or an answer is lost (the payload's `id` lets a receiver drop
//! it).

pub mod payload;
pub mod signature;

use std::sync::Arc;
use std::time::{Duration, Instant};

use redress_domain::Clock;
use redress_store::projection::EventSignal;
use redress_store::webhooks::{ClaimedDelivery, Outcome};
use redress_store::{AuditAction, AuditActor, Store, StoreError};
use tokio::sync::watch;

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// How long an endpoint has to answer.
    pub timeout: Duration,
    /// The pause after a first failure; it doubles with each failure after, up to an hour.
    pub retry_base: chrono::Duration,
    /// Failed attempts in a row after which an endpoint is switched off.
    pub max_failures: i32,
    /// Deliveries claimed at once.
    pub batch: i64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retry_base: chrono::Duration::seconds(10),
            max_failures: 10,
            batch: 50,
        }
    }
}

/// Sends the deliveries the `webhooks` projector queues.
#[derive(Clone)]
pub struct WebhookSender {
    store: Store,
    client: reqwest::Client,
    settings: WebhookSettings,
    clock: Arc<dyn Clock>,
}

impl WebhookSender {
    /// A sender over `store`'s deliveries.
    pub fn new(store: Store, settings: WebhookSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Redress-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let clock = store.clock.clone();
        Ok(Self {
            store,
            client,
            settings,
            clock,
        })
    }

    /// Sends what is due; returns how many deliveries it tried.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        let lease = chrono::Duration::from_std(self.settings.timeout * 3)
            .unwrap_or(chrono::Duration::seconds(30));
        let claimed = self
            .store
            .webhooks
            .claim(self.clock.now(), lease, self.settings.batch)
            .await?;
        let tried = claimed.len();
        for claimed in claimed {
            self.deliver(&claimed).await?;
        }
        Ok(tried)
    }

    async fn deliver(&self, claimed: &ClaimedDelivery) -> Result<(), StoreError> {
        let delivery = &claimed.delivery;
        let Some(payload) = payload::payload(&self.store, &claimed.endpoint, delivery).await?
        else {
            // The event is gone (never expected): nothing to say; mark it done.
            let outcome = Outcome::Delivered { status: 204 };
            self.record(claimed, &outcome, 0).await?;
            return Ok(());
        };
        let body = serde_json::to_vec(&payload)
            .map_err(|e| StoreError::Corrupt(format!("a webhook payload: {e}")))?;
        let started = Instant::now();
        let timestamp = self.clock.now().timestamp();
        let answer = self
            .client
            .post(&claimed.endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                signature::HEADER,
                signature::sign(&claimed.secret, timestamp, &body),
            )
            .header("Redress-Delivery", &delivery.id)
            .header("Redress-Event", &delivery.kind)
            .body(body)
            .send()
            .await;
        let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let outcome = match answer {
            Ok(response) if response.status().is_success() => Outcome::Delivered {
                status: response.status().as_u16(),
            },
            Ok(response) => Outcome::Failed {
                status: Some(response.status().as_u16()),
                error: format!("The endpoint answered {}.", response.status()),
            },
            Err(error) => Outcome::Failed {
                status: None,
                error: if error.is_timeout() {
                    format!(
                        "No answer within {} s.",
                        self.settings.timeout.as_secs_f32()
                    )
                } else {
                    format!("The endpoint could not be reached: {}", chain(&error))
                },
            },
        };
        self.record(claimed, &outcome, ms).await
    }

    async fn record(
        &self,
        claimed: &ClaimedDelivery,
        outcome: &Outcome,
        ms: i64,
    ) -> Result<(), StoreError> {
        let switched_off = self
            .store
            .webhooks
            .record(
                claimed,
                outcome,
                ms,
                self.clock.now(),
                self.settings.retry_base,
                self.settings.max_failures,
            )
            .await?;
        if switched_off {
            tracing::warn!(
                endpoint = %claimed.endpoint.id,
                url = %claimed.endpoint.url,
                failures = self.settings.max_failures,
                "a webhook endpoint failed too often and was switched off"
            );
            self.store
                .audit
                .record(
                    self.clock.now(),
                    AuditAction::WebhookSwitchedOff,
                    &AuditActor::system("webhooks"),
                    &claimed.endpoint.url,
                    &format!(
                        "Switched off after {} failed attempts in a row.",
                        self.settings.max_failures
                    ),
                    "",
                )
                .await?;
        }
        Ok(())
    }

    /// Sends until shut down: woken when the projector queues deliveries, and every `poll`
    /// for retries that fall due.
    pub async fn run(self, wake: EventSignal, poll: Duration, shutdown: watch::Receiver<bool>) {
        let batch = self.settings.batch;
        crate::drain::keep_drained("webhooks", batch, || self.send_due(), wake, poll, shutdown)
            .await;
    }
}

/// An error and its causes, in one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}
