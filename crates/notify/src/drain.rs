//! How a sender keeps a queue drained: send what is due, again at once while a whole batch
//! went, then wait for a wake-up (a projector wrote), for `poll` (retries fall due), or for
//! shut-down. A queue it cannot reach is tried again after a growing pause, never a crash.

use std::future::Future;
use std::time::Duration;

use redress_store::StoreError;
use redress_store::projection::EventSignal;
use tokio::sync::watch;

/// Runs `send_due` (which returns how many it tried) until shut down. `what` names the
/// sender in the log.
pub async fn keep_drained<F, Fut>(
    what: &'static str,
    batch: i64,
    send_due: F,
    wake: EventSignal,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<usize, StoreError>>,
{
    let mut wake = wake.subscribe();
    let mut failures = 0u32;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let pause = loop {
            match send_due().await {
                Ok(n) if n as i64 >= batch => continue,
                Ok(_) => {
                    failures = 0;
                    break poll;
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(%error, failures, sender = what, "a sender cannot reach its queue; retrying");
                    break poll.min(Duration::from_millis(200 * 2u64.pow(failures.min(6))));
                }
            }
        };
        tokio::select! {
            _ = wake.changed() => {}
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
        }
    }
}
