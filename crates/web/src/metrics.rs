//! Operations: `/metrics` in the Prometheus text format, and the middleware every request
//! passes through, which gives it a request id (kept from a sane incoming `X-Request-Id`, else
//! new; returned in the response's `X-Request-Id` and carried by every log line of the
//! request), logs it once when it ends, and counts and times it by route.
//!
//! Request figures are this process's; the database figures (projector positions and lag,
//! outbox depth, open breaches) are read at each scrape, so every instance reports the same.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use redress_store::{Leadership, Store};
use tracing::Instrument;

use crate::AppState;
use crate::error::AppError;

/// The response header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProjectorLabels {
    projector: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// Every metric, registered once per process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    commands: Family<OutcomeLabels, Counter>,
    position: Family<ProjectorLabels, Gauge>,
    behind: Family<ProjectorLabels, Gauge>,
    leader: Family<ProjectorLabels, Gauge>,
    head: Gauge,
    outbox: Family<StateLabels, Gauge>,
    open_breaches: Gauge,
    inbound: Family<StateLabels, Gauge>,
    database_up: Gauge,
    /// Scrapes one at a time (counters are brought up to the store's totals by difference).
    scrape: Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("redress");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.000_5, 2.0, 16))) as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response, by route pattern",
            latency.clone(),
        );
        let commands = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "commands",
            "Complaint commands run by this process, by outcome (accepted, rejected, not_found, conflict, failed)",
            commands.clone(),
        );
        let position = Family::<ProjectorLabels, Gauge>::default();
        registry.register(
            "projector_position",
            "Global position of the last event each projector applied",
            position.clone(),
        );
        let behind = Family::<ProjectorLabels, Gauge>::default();
        registry.register(
            "projector_lag_events",
            "Events written but not yet applied, per projector",
            behind.clone(),
        );
        let leader = Family::<ProjectorLabels, Gauge>::default();
        registry.register(
            "projector_leader",
            "1 where this instance leads the projector (runs it), else 0",
            leader.clone(),
        );
        let head = Gauge::default();
        registry.register(
            "event_head_position",
            "Global position of the last event written",
            head.clone(),
        );
        let outbox = Family::<StateLabels, Gauge>::default();
        registry.register(
            "outbox_messages",
            "Emails not sent, by state (pending; failing: pending after a failed attempt; dead: given up)",
            outbox.clone(),
        );
        let open_breaches = Gauge::default();
        registry.register(
            "sla_open_breaches",
            "Open complaints with an SLA clock past its due time",
            open_breaches.clone(),
        );
        let inbound = Family::<StateLabels, Gauge>::default();
        registry.register(
            "inbound_emails",
            "Emails read from the complaints mailbox, by how they ended (recorded on a complaint, ignored, quarantined, claimed: being handled)",
            inbound.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "database_up",
            "1 when the database answered this scrape's queries, else 0",
            database_up.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            commands,
            position,
            behind,
            leader,
            head,
            outbox,
            open_breaches,
            inbound,
            database_up,
            scrape: Mutex::new(()),
        }
    }

    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Reads the database figures and encodes every metric.
    pub async fn render(&self, store: &Store, leadership: &Leadership) -> String {
        let figures = read_figures(store).await;
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = store.complaints.stats();
        for (outcome, total) in [
            ("accepted", &stats.accepted),
            ("rejected", &stats.rejected),
            ("not_found", &stats.not_found),
            ("conflict", &stats.conflicts),
            ("failed", &stats.failed),
        ] {
            let counter = self.commands.get_or_create(&OutcomeLabels { outcome });
            let total = total.load(std::sync::atomic::Ordering::Relaxed);
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        for name in store.projections.names() {
            self.leader
                .get_or_create(&ProjectorLabels { projector: name })
                .set(i64::from(leadership.leads(name)));
        }
        match figures {
            Ok(figures) => {
                self.database_up.set(1);
                self.head.set(figures.head);
                for p in figures.projectors {
                    let labels = ProjectorLabels { projector: p.name };
                    self.position.get_or_create(&labels).set(p.position);
                    self.behind.get_or_create(&labels).set(p.behind);
                }
                for (state, n) in [
                    ("pending", figures.outbox.pending),
                    ("failing", figures.outbox.failing),
                    ("dead", figures.outbox.dead),
                ] {
                    self.outbox.get_or_create(&StateLabels { state }).set(n);
                }
                self.open_breaches.set(figures.open_breaches);
                for (state, n) in [
                    ("recorded", figures.inbound.recorded),
                    ("ignored", figures.inbound.ignored),
                    ("quarantined", figures.inbound.quarantined),
                    ("claimed", figures.inbound.claimed),
                ] {
                    self.inbound.get_or_create(&StateLabels { state }).set(n);
                }
            }
            Err(error) => {
                tracing::warn!(%error, "metrics: the database figures are unavailable");
                self.database_up.set(0);
            }
        }
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics: cannot encode");
        }
        text
    }
}

struct Figures {
    head: i64,
    projectors: Vec<redress_store::ProjectorPosition>,
    outbox: redress_store::OutboxCounts,
    open_breaches: i64,
    inbound: redress_store::InboundCounts,
}

async fn read_figures(store: &Store) -> Result<Figures, redress_store::StoreError> {
    let (head, projectors) = store.projections.positions().await?;
    Ok(Figures {
        head,
        projectors,
        outbox: store.outbox.depth().await?,
        open_breaches: store.sla.open_breaches().await?,
        inbound: store.inbound.counts().await?,
    })
}

/// `GET /metrics`.
pub(crate) async fn metrics(
    state: web::Data<AppState>,
    ops: web::Data<Ops>,
) -> Result<HttpResponse, AppError> {
    let text = ops.metrics.render(&state.store, &ops.leadership).await;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// What the operations endpoints and the middleware share.
#[derive(Debug, Clone)]
pub struct Ops {
    /// The process's metrics.
    pub metrics: Arc<Metrics>,
    /// The projectors this instance leads.
    pub leadership: Leadership,
}

/// The request id: the incoming `X-Request-Id` when it is 1–64 letters, digits, `-`, `_` or
/// `.` (a load balancer's, so logs correlate), else a new random one.
fn request_id(request: &ServiceRequest) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// The middleware: request id, one log line, metrics.
pub(crate) async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().to_string();
    let ops = request.app_data::<web::Data<Ops>>().cloned();
    let span = tracing::info_span!("request", request_id = %id, %method, path = %request.path());
    let result = next.call(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let (status, route) = match &result {
        Ok(response) => (
            response.status().as_u16(),
            response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into()),
        ),
        Err(error) => (
            error.as_response_error().status_code().as_u16(),
            "unmatched".into(),
        ),
    };
    let millis = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, %route, millis, "request failed");
        } else {
            tracing::info!(status, %route, millis, "request");
        }
    });
    if let Some(ops) = ops {
        ops.metrics
            .observe(&route, &method, status, elapsed.as_secs_f64());
    }
    let mut response = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_every_family_and_counts_requests_by_route() {
        let metrics = Metrics::new();
        metrics.observe("/complaints/{reference}", "GET", 200, 0.004);
        metrics.observe("/complaints/{reference}", "GET", 200, 0.3);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).unwrap();
        assert!(
            text.contains(
                r#"redress_http_requests_total{route="/complaints/{reference}",method="GET",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"redress_http_request_duration_seconds_count{route="/complaints/{reference}"} 2"#
            ),
            "{text}"
        );
        // 0.004 s falls in the 0.004 bucket (0.0005 × 2³), 0.3 s does not.
        assert!(
            text.contains(r#"redress_http_request_duration_seconds_bucket{le="0.004",route="/complaints/{reference}"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn a_sane_incoming_request_id_is_kept_and_anything_else_replaced() {
        let with = |value: &str| {
            let request = actix_web::test::TestRequest::default()
                .insert_header((REQUEST_ID, value))
                .to_srv_request();
            request_id(&request)
        };
        assert_eq!(with("lb-1234.abc_9"), "lb-1234.abc_9");
        for hostile in ["", "a b", "x\"y", &"x".repeat(65), "a/b"] {
            let id = with(hostile);
            assert_eq!(id.len(), 32, "{hostile:?} gave {id:?}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
