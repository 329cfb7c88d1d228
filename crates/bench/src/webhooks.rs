//! The webhook benchmark: events delivered to a local HTTP receiver through the `webhooks`
//! projector and sender, beside plain signed POSTs of the same size to the same receiver, and
//! each delivery's time from its event to the receiver reading it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::DateTime;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::*;

/// What the receiver saw: each delivery's id and when it arrived.
type Arrivals = Arc<Mutex<HashMap<String, DateTime<Utc>>>>;

/// A minimal HTTP/1.1 receiver on `listener` (keep-alive, 200 to every POST), recording the
/// `Redress-Delivery` header of each request and when it was read whole.
async fn receive(listener: tokio::net::TcpListener, arrivals: Arrivals) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut read = BufReader::new(read);
            loop {
                let mut length = 0usize;
                let mut delivery = None;
                let mut line = String::new();
                loop {
                    line.clear();
                    match read.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let trimmed = line.trim_end();
                    if trimmed.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = trimmed.split_once(':') {
                        let name = name.trim().to_ascii_lowercase();
                        if name == "content-length" {
                            length = value.trim().parse().unwrap_or(0);
                        } else if name == "redress-delivery" {
                            delivery = Some(value.trim().to_string());
                        }
                    }
                }
                let mut body = vec![0u8; length];
                if read.read_exact(&mut body).await.is_err() {
                    return;
                }
                let at = Utc::now();
                if let Some(id) = delivery {
                    arrivals
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(id, at);
                }
                if write
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

/// Runs `redress bench webhooks`: `events` deliveries per phase to a receiver of its own, and
/// returns the table it prints:
/// - plain signed POSTs of a payload of the same size, one after another (the baseline);
/// - a steady load of `rate` complaints per second with the workers running, each
///   `ComplaintReceived` delivered to one endpoint, timed from the event to the receiver.
pub async fn webhooks(settings: &Settings, events: usize, rate: u32) -> anyhow::Result<String> {
    anyhow::ensure!(
        events > 0 && rate > 0,
        "--events and --rate must be positive"
    );
    let store = redress::open_store(settings).await?;
    anyhow::ensure!(
        store.projections.event_count().await? == 0,
        "point REDRESS_DATABASE_URL at an empty scratch database"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let arrivals: Arrivals = Arc::default();
    let receiver = tokio::spawn(receive(listener, arrivals.clone()));
    let mut report = format!(
        "{events} deliveries per phase to a receiver on this machine\n\n{:<34} {:>10} {:>9} {:>9} {:>9}\n",
        "phase", "events/s", "ratio", "p50 ms", "p95 ms"
    );

    // 1. Plain signed POSTs of the same size (the baseline).
    let client = reqwest::Client::new();
    let body = br#"{"id":"00000000-0000-0000-0000-000000000000:RDR-0000-0000:1","type":"ComplaintReceived","occurred_at":"2026-12-07T10:00:00Z","complaint":{"reference":"RDR-0000-0000","sequence":1,"status":"open","next_step":"acknowledge","category":"delivery","priority":"normal","owner":null,"outcome":null,"url":"/api/v1/complaints/RDR-0000-0000"},"by":{"kind":"customer","name":null}}"#;
    let mut plain = Vec::with_capacity(events);
    let started = Instant::now();
    for i in 0..events {
        let sent = Instant::now();
        let response = client
            .post(&url)
            .header("content-type", "application/json")
            .header(
                redress_notify::webhooks::signature::HEADER,
                redress_notify::webhooks::signature::sign(
                    "whsec_bench",
                    Utc::now().timestamp(),
                    body,
                ),
            )
            .header("redress-delivery", format!("baseline-{i}"))
            .body(&body[..])
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "the receiver refused");
        plain.push(sent.elapsed());
    }
    let baseline = events as f64 / started.elapsed().as_secs_f64();
    plain.sort();
    report.push_str(&format!(
        "{:<34} {:>10.0} {:>8.2}x {:>9.1} {:>9.1}\n",
        "plain signed POSTs (baseline)",
        baseline,
        1.0,
        percentile(&plain, 0.50).as_secs_f64() * 1e3,
        percentile(&plain, 0.95).as_secs_f64() * 1e3,
    ));

    // 2. A steady load with the workers running, as in `serve`.
    let (endpoint, _) = store
        .webhooks
        .create(&url, "ComplaintReceived", false, "bench", store.clock.now())
        .await?;
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let poll = Duration::from_millis(settings.projector_poll_ms.max(10));
    let projectors = tokio::spawn(store.projections.clone().run(
        store.signal.clone(),
        poll,
        shutdown_rx.clone(),
    ));
    let sender = redress_notify::webhooks::WebhookSender::new(
        store.clone(),
        redress_notify::webhooks::WebhookSettings::default(),
    )?;
    let sender = tokio::spawn(
        sender.run(
            store.projections.webhooks_due(),
            poll.max(Duration::from_millis(100))
                .min(Duration::from_millis(500)),
            shutdown_rx,
        ),
    );
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let started = Instant::now();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..events {
        ticker.tick().await;
        store
            .complaints
            .receive(
                Actor::Customer,
                redress_domain::NewComplaint {
                    reference: Reference::parse("RDR-0000-0000").expect("a reference"),
                    customer: redress_domain::NewCustomer {
                        name: format!("Bench Customer {i}"),
                        email: Some(CustomerEmail::parse(&format!("customer{i}@bench.example"))?),
                        phone: None,
                        language: Language::En,
                    },
                    company: None,
                    tier: Tier::Standard,
                    channel: Channel::WebForm,
                    category: "delivery".into(),
                    summary: format!("Bench complaint {i}"),
                    description: "The parcel arrived late and damaged.".into(),
                    remedy_requested: None,
                    priority: Priority::Normal,
                    routing: None,
                },
            )
            .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = arrivals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .filter(|k| !k.starts_with("baseline-"))
            .count();
        if got >= events {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the steady phase did not drain ({got} of {events} delivered)"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let _ = shutdown.send(true);
    let _ = projectors.await;
    let _ = sender.await;
    receiver.abort();
    let seen = arrivals
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let mut steady: Vec<Duration> = store
        .webhooks
        .log(endpoint.id, i64::try_from(events).unwrap_or(i64::MAX))
        .await?
        .into_iter()
        .filter_map(|d| {
            seen.get(&d.id)
                .map(|at| (*at - d.event_at).to_std().unwrap_or_default())
        })
        .collect();
    anyhow::ensure!(
        steady.len() == events,
        "{} of {events} deliveries matched",
        steady.len()
    );
    steady.sort();
    report.push_str(&format!(
        "{:<34} {:>10.0} {:>8.2}x {:>9.1} {:>9.1}\n",
        format!("steady {rate} complaints/s"),
        events as f64 / elapsed.as_secs_f64(),
        (events as f64 / elapsed.as_secs_f64()) / baseline,
        percentile(&steady, 0.50).as_secs_f64() * 1e3,
        percentile(&steady, 0.95).as_secs_f64() * 1e3,
    ));
    report.push_str(
        "\nbaseline latency: one POST's round trip; steady latency: from the event's time to the \
         receiver reading the delivery\n",
    );
    Ok(report)
}
